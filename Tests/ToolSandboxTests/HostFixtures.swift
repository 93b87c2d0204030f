#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A TCP listener on 127.0.0.1 that a sandboxed tool must not reach.
final class LoopbackListener {
    let socket: Int32
    let port: UInt16

    init() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        socket = fd
        port = UInt16(bigEndian: address.sin_port)
    }

    /// True when some connection is waiting to be accepted.
    var hasPendingConnection: Bool {
        let client = accept(socket, nil, nil)
        if client >= 0 { close(client); return true }
        return false
    }

    deinit { close(socket) }
}

/// A directory of the test's own under /tmp, removed at the end.
final class HostDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "a4ps-sandbox-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Processes whose command line contains `marker`, read from /proc as `pgrep -f` does.
func processes(containing marker: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
        guard let pid = Int32(entry), pid != getpid(),
              let data = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline"), !data.isEmpty
        else { return nil }
        return String(decoding: data, as: UTF8.self).contains(marker) ? pid : nil
    }
}

/// Waits up to `seconds` for no process to contain `marker`; returns those left.
func survivors(of marker: String, within seconds: Double = 3) async -> [Int32] {
    let deadline = Date().addingTimeInterval(seconds)
    var left = processes(containing: marker)
    while !left.isEmpty && Date() < deadline {
        try? await Task.sleep(for: .milliseconds(100))
        left = processes(containing: marker)
    }
    return left
}
