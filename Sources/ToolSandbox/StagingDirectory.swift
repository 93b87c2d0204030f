#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A private host directory holding the harness, the tool and the request for one run; the
/// sandbox sees it read-only, and it is removed when the run ends.
struct StagingDirectory: ~Copyable {
    let path: String

    init() throws(SandboxError) {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array((base + "/a4ps-sandbox-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw .stagingFailed("mkdtemp in \(base): \(String(cString: strerror(errno)))")
        }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        // The sandbox runs as an unprivileged user, who must be able to read what is staged.
        chmod(path, 0o755)
    }

    func write(_ name: String, _ text: String) throws(SandboxError) {
        let file = path + "/" + name
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        } catch {
            throw .stagingFailed("writing \(file): \(error)")
        }
        chmod(file, 0o644)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
