extension SandboxInvocation {
    /// bubblewrap: new namespaces of every kind, an empty read-only root with /usr, the staged
    /// files and a private /tmp bound in, and an unprivileged host user when we are root.
    static func bubblewrap(
        _ executable: String,
        command: [String],
        python: PythonInstallation,
        limits: SandboxLimits,
        staging: StagingDirectory.Layout
    ) -> SandboxInvocation {
        let user = String(sandboxUser)
        var arguments = [
            "--unshare-all", "--unshare-user",
            "--uid", user, "--gid", user,
            "--hostname", "sandbox",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL",
            "--ro-bind", "/usr", "/usr",
        ]
        for directory in HostSystemDirectory.present {
            switch directory {
            case .symlink(let path, let target): arguments += ["--symlink", target, path]
            case .directory(let path): arguments += ["--ro-bind", path, path]
            }
        }
        for file in HostSystemDirectory.configurationFiles {
            arguments += ["--ro-bind-try", file, file]
        }
        if let prefix = python.prefixOutsideUsr {
            arguments += ["--ro-bind", prefix, prefix]
        }
        arguments += [
            "--proc", "/proc",
            "--dev", "/dev",
            "--ro-bind", staging.files, stagingMount,
            "--size", String(limits.tempBytes), "--tmpfs", "/tmp",
            // The root bubblewrap builds is a tmpfs: make it read-only, so /tmp stays the
            // only writable place.
            "--remount-ro", "/",
            "--chdir", "/tmp",
            "--",
        ]
        return SandboxInvocation(
            executable: executable,
            arguments: arguments + command,
            hostUserID: HostPaths.isRoot ? UInt32.random(in: 1_000_000_000..<2_000_000_000) : nil,
            bundle: nil
        )
    }
}
