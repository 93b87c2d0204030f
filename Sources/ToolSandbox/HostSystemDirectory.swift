/// One of the host's top-level system directories (/bin, /lib...) as a sandbox must recreate it:
/// a symlink into /usr on a merged-/usr system, or a real directory to bind read-only.
enum HostSystemDirectory: Sendable, Hashable {
    case symlink(path: String, target: String)
    case directory(path: String)

    /// Those present on this host, in a fixed order.
    static var present: [HostSystemDirectory] {
        ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"].compactMap { path in
            if let target = HostPaths.symlinkTarget(path) { return .symlink(path: path, target: target) }
            return HostPaths.exists(path) ? .directory(path: path) : nil
        }
    }

    /// Host files the dynamic loader and the time functions read, bound read-only when present.
    static let configurationFiles = ["/etc/ld.so.cache", "/etc/localtime"]
}
