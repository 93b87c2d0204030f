/// The python3 a sandbox runs, with the installation prefix it needs bound when that prefix lies
/// outside /usr.
struct PythonInstallation: Sendable {
    /// The interpreter's real path (symlinks resolved).
    var path: String
    /// `<prefix>` of `<prefix>/bin/python3.x` when it is not under /usr; the sandbox binds it read-only.
    var prefixOutsideUsr: String?

    /// /usr/bin/python3 when there is one (Debian's, fully under the bound /usr); otherwise the
    /// python3 on PATH, whose installation prefix is then bound read-only as well.
    static func resolve(_ configured: String?) throws(SandboxError) -> PythonInstallation {
        let candidate: String
        if let configured {
            candidate = configured
        } else if HostPaths.isExecutable("/usr/bin/python3") {
            candidate = "/usr/bin/python3"
        } else if let found = HostPaths.find("python3") {
            candidate = found
        } else {
            throw .pythonNotFound("/usr/bin/python3 and " + HostPaths.searched("python3"))
        }
        guard HostPaths.isExecutable(candidate), let real = HostPaths.realPath(candidate) else {
            throw .pythonNotFound(candidate)
        }
        if real.hasPrefix("/usr/") {
            return PythonInstallation(path: real, prefixOutsideUsr: nil)
        }
        // <prefix>/bin/python3.x → <prefix>
        var components = real.split(separator: "/").map(String.init)
        components.removeLast(min(2, components.count))
        return PythonInstallation(path: real, prefixOutsideUsr: "/" + components.joined(separator: "/"))
    }
}
