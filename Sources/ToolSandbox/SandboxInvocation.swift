/// The command line that starts one sandboxed python3: the runtime, its confinement flags,
/// `prlimit` for the rlimits, and the harness.
struct SandboxInvocation: Sendable {
    var executable: String
    var arguments: [String]
    /// The host user the runtime is started as: an unprivileged one when we are root, because
    /// RLIMIT_NPROC does not bind a process whose real user outside the namespace is root.
    var hostUserID: UInt32?

    static let sandboxUser = "65534"
    static let stagingMount = "/sandbox"

    /// Resolves everything on the host; throws the error that names what to install.
    static func make(
        runtime: SandboxRuntime,
        python configuredPython: String?,
        limits: SandboxLimits,
        staging: String
    ) throws(SandboxError) -> SandboxInvocation {
        let runtimeExecutable: String
        if let configured = runtime.configuredExecutable {
            guard HostPaths.isExecutable(configured) else {
                throw .runtimeNotInstalled(runtime, looked: configured)
            }
            runtimeExecutable = configured
        } else {
            guard let found = HostPaths.find(runtime.commandName) else {
                throw .runtimeNotInstalled(runtime, looked: HostPaths.searched(runtime.commandName))
            }
            runtimeExecutable = found
        }
        guard let prlimit = HostPaths.find("prlimit") else {
            throw .helperNotInstalled("prlimit", package: "util-linux")
        }
        let python = try resolvePython(configuredPython)

        let limitCommand = [
            prlimit,
            "--cpu=\(limits.cpuSeconds):\(limits.cpuSeconds + 1)",
            "--as=\(limits.memoryBytes)",
            "--nproc=\(limits.processes)",
            "--fsize=\(limits.tempBytes)",
            "--nofile=256",
            "--core=0",
            "--",
            python.path, "-I", "-B",
        ]
        switch runtime {
        case .bubblewrap:
            var arguments = [
                "--unshare-all", "--unshare-user",
                "--uid", sandboxUser, "--gid", sandboxUser,
                "--hostname", "sandbox",
                "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                "--ro-bind", "/usr", "/usr",
            ]
            arguments += systemDirectoryArguments()
            for file in ["/etc/ld.so.cache", "/etc/localtime"] {
                arguments += ["--ro-bind-try", file, file]
            }
            if let prefix = python.prefixOutsideUsr {
                arguments += ["--ro-bind", prefix, prefix]
            }
            arguments += [
                "--proc", "/proc",
                "--dev", "/dev",
                "--ro-bind", staging, stagingMount,
                "--size", String(limits.tempBytes), "--tmpfs", "/tmp",
                // The root bubblewrap builds is a tmpfs: make it read-only, so /tmp stays the
                // only writable place.
                "--remount-ro", "/",
                "--chdir", "/tmp",
                "--",
            ]
            arguments += limitCommand + [stagingMount + "/harness.py"]
            return SandboxInvocation(
                executable: runtimeExecutable,
                arguments: arguments,
                hostUserID: HostPaths.isRoot ? UInt32.random(in: 1_000_000_000..<2_000_000_000) : nil
            )
        case .gVisor:
            // runsc do shows the host's file system through an overlay, so the staged files
            // keep their host path.
            let arguments = ["--rootless", "--network=none", "do", "--"] + limitCommand + [staging + "/harness.py"]
            return SandboxInvocation(executable: runtimeExecutable, arguments: arguments, hostUserID: nil)
        }
    }

    /// Where the harness finds its files inside the sandbox.
    static func stagingPathInside(runtime: SandboxRuntime, staging: String) -> String {
        switch runtime {
        case .bubblewrap: stagingMount
        case .gVisor: staging
        }
    }

    /// /bin, /lib and friends: recreated as the same symlinks (merged /usr), or bound read-only.
    private static func systemDirectoryArguments() -> [String] {
        var arguments: [String] = []
        for directory in ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"] {
            if let target = HostPaths.symlinkTarget(directory) {
                arguments += ["--symlink", target, directory]
            } else if HostPaths.exists(directory) {
                arguments += ["--ro-bind", directory, directory]
            }
        }
        return arguments
    }

    private struct Python {
        var path: String
        var prefixOutsideUsr: String?
    }

    /// /usr/bin/python3 when there is one (Debian's, fully under the bound /usr); otherwise the
    /// python3 on PATH, whose installation prefix is then bound read-only as well.
    private static func resolvePython(_ configured: String?) throws(SandboxError) -> Python {
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
            return Python(path: real, prefixOutsideUsr: nil)
        }
        // <prefix>/bin/python3.x → <prefix>
        var components = real.split(separator: "/").map(String.init)
        components.removeLast(min(2, components.count))
        return Python(path: real, prefixOutsideUsr: "/" + components.joined(separator: "/"))
    }
}
