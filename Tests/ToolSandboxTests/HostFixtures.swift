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
func survivors(of marker: String, within seconds: Double = 30) async -> [Int32] {
    let deadline = Date().addingTimeInterval(seconds)
    var left = processes(containing: marker)
    while !left.isEmpty && Date() < deadline {
        try? await Task.sleep(for: .milliseconds(100))
        left = processes(containing: marker)
    }
    return left
}

/// Host processes of runsc left behind by a finished run: runsc, its gofer and its Sentry whose
/// staging directory (`--root <staging>/state`) is gone, and the Sentry's stub processes whose
/// Sentry is gone. Those of runs still going are not counted.
func orphanedRunscProcesses() -> [Int32] {
    struct HostProcess {
        var parent: Int32
        var arguments: [String]
    }
    var runsc: [Int32: HostProcess] = [:]
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry),
              let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/exe"),
              executable.split(separator: "/").last?.hasPrefix("runsc") == true,
              let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let afterName = stat.lastIndex(of: ")")
        else { continue }
        // stat: pid (comm) state ppid ...
        let fields = stat[stat.index(after: afterName)...].split(separator: " ")
        let arguments = (FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") ?? Data())
            .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        runsc[pid] = HostProcess(parent: fields.count > 1 ? Int32(fields[1]) ?? 0 : 0, arguments: arguments)
    }
    func stateRoot(_ arguments: [String]) -> String? {
        for (index, argument) in arguments.enumerated() {
            if argument.hasPrefix("--root=") { return String(argument.dropFirst("--root=".count)) }
            if argument == "--root", index + 1 < arguments.count { return arguments[index + 1] }
        }
        return nil
    }
    return runsc.keys.filter { pid in
        // The nearest runsc ancestor (or the process itself) that names its state root.
        var current: Int32? = pid
        while let id = current, let process = runsc[id] {
            if let root = stateRoot(process.arguments) {
                return root.contains("/a4ps-sandbox-") && !FileManager.default.fileExists(atPath: root)
            }
            current = process.parent
        }
        return true
    }.sorted()
}

/// Waits up to `seconds` for orphaned runsc processes to go (the Sentry's stubs can take a
/// second or two after a kill); returns those left.
func runscSurvivors(within seconds: Double = 30) async -> [Int32] {
    let deadline = Date().addingTimeInterval(seconds)
    var left = orphanedRunscProcesses()
    while !left.isEmpty && Date() < deadline {
        try? await Task.sleep(for: .milliseconds(100))
        left = orphanedRunscProcesses()
    }
    return left
}
