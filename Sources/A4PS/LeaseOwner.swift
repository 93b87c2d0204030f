import Foundation

/// Who holds a lease on shared work kept in the image file — a deliberation run, a fine-tune job:
/// `host/pid/nonce`, so that another process can tell a holder on this machine that died.
public struct LeaseOwner: Sendable, Hashable, CustomStringConvertible {
    public let description: String

    /// A new owner for this process.
    public init() {
        description = "\(ProcessInfo.processInfo.hostName)/\(getpid())/\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Whether a lease holder is a process of this machine that no longer exists (killed, say):
    /// its work need not wait for the lease to expire.
    public static func isDead(_ owner: String) -> Bool {
        let parts = owner.split(separator: "/")
        guard parts.count == 3, parts[0] == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]), pid != getpid() else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
