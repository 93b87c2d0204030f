#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A private host directory for one run, removed with everything in it when the run ends: the
/// files the sandbox sees read-only at /sandbox (harness, tool, tests, request) and, for gVisor,
/// the OCI bundle and runsc's state.
struct StagingDirectory: ~Copyable {
    /// Where each part of a staging directory lies; a value, so it can be worked out before the
    /// directory exists (``PythonSandbox/checkAvailable()`` does).
    struct Layout: Sendable, Hashable {
        var root: String
        /// Bound read-only at /sandbox: the harness, the tool, its tests and the request.
        var files: String { root + "/files" }
        /// The OCI bundle runsc runs (config.json and rootfs).
        var bundle: String { root + "/bundle" }
        /// A file of the host's alone, outside everything the sandbox sees (the request, with its nonce).
        func privateFile(_ name: String) -> String { root + "/private-" + name }
        /// runsc's `--root`: its state for this one container.
        var state: String { root + "/state" }
        /// The container's name for runsc, unique because the staging directory is.
        var containerID: String { "a4ps-" + (root.split(separator: "/").last.map(String.init) ?? "sandbox") }
    }

    let layout: Layout

    init() throws(SandboxError) {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array((base + "/a4ps-sandbox-XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw .stagingFailed("mkdtemp in \(base): \(String(cString: strerror(errno)))")
        }
        let made = Layout(root: template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        // The sandbox runs as an unprivileged user, who must be able to read what is staged.
        chmod(made.root, 0o755)
        guard mkdir(made.files, 0o755) == 0 else {
            let why = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: made.root)
            throw .stagingFailed("mkdir \(made.files): \(why)")
        }
        chmod(made.files, 0o755)
        layout = made
    }

    /// Writes one of the files the sandbox sees, readable by everyone.
    func write(_ name: String, _ text: String) throws(SandboxError) {
        try Self.writeReadable(layout.files + "/" + name, text)
    }

    /// Writes a file the sandbox does not see, readable by the host user only (the sandbox gets
    /// it as an open descriptor: its stdin).
    func writePrivate(_ name: String, _ text: String) throws(SandboxError) {
        let file = layout.privateFile(name)
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        } catch {
            throw .stagingFailed("writing \(file): \(error)")
        }
        chmod(file, 0o600)
    }

    /// Writes `text` to `file` with mode 0644, whatever the umask.
    static func writeReadable(_ file: String, _ text: String) throws(SandboxError) {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        } catch {
            throw .stagingFailed("writing \(file): \(error)")
        }
        chmod(file, 0o644)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: layout.root)
    }
}
