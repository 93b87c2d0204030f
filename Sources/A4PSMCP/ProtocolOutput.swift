import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

/// Standard output belongs to the protocol alone: ``reserve()`` keeps a private copy of it for
/// the MCP messages and points file descriptor 1 at standard error, so anything else that writes
/// to standard output (a Lua `print`, a child process, a stray log line) lands in the log instead
/// of corrupting the stream.
public enum ProtocolOutput {
    /// Call once, before anything else may write: answers the descriptor the protocol writes to.
    /// - Throws: ``Failure`` when the descriptors cannot be duplicated.
    public static func reserve() throws(Failure) -> FileDescriptor {
        let saved = dup(STDOUT_FILENO)
        guard saved >= 0 else { throw Failure(errno: errno) }
        guard dup2(STDERR_FILENO, STDOUT_FILENO) >= 0 else {
            let code = errno
            close(saved)
            throw Failure(errno: code)
        }
        _ = fcntl(saved, F_SETFD, FD_CLOEXEC)   // children must not inherit the protocol's stream
        return FileDescriptor(rawValue: saved)
    }

    /// Standard output could not be set aside for the protocol.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let errno: Int32
        public var description: String {
            "cannot set standard output aside for the MCP messages: \(String(cString: strerror(errno)))"
        }
    }
}
