#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Looks things up on the host: executables on PATH, symlinks, real paths.
enum HostPaths {
    static func isExecutable(_ path: String) -> Bool { access(path, X_OK) == 0 }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// The first executable called `name` on PATH or in the usual system directories.
    static func find(_ name: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        let directories = path.split(separator: ":").map(String.init)
            + ["/usr/local/bin", "/usr/bin", "/bin", "/usr/sbin", "/sbin"]
        return directories.lazy.map { $0 + "/" + name }.first(where: isExecutable)
    }

    static func searched(_ name: String) -> String {
        "\(name) on PATH and in /usr/local/bin, /usr/bin, /bin, /usr/sbin, /sbin"
    }

    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Where a symlink points, or nil when `path` is not one.
    static func symlinkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(path, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static var isRoot: Bool { geteuid() == 0 }

    /// util-linux's setpriv, which drops to another uid and execs (see SandboxProcess).
    static var setpriv: String { find("setpriv") ?? "/usr/bin/setpriv" }
}
