extension SandboxInvocation {
    /// gVisor: `runsc run` of an OCI bundle whose read-only root is empty but for /usr, the
    /// staged files and a private /tmp, with no network; the tool's system calls go to gVisor's
    /// user-space kernel (the Sentry), not to the host's.
    static func gVisor(
        _ executable: String,
        command: [String],
        python: PythonInstallation,
        limits: SandboxLimits,
        staging: StagingDirectory.Layout
    ) -> SandboxInvocation {
        var bundle = OCIBundle(
            arguments: command,
            environment: environment.map { "\($0.key)=\($0.value)" },
            workingDirectory: "/tmp",
            userID: sandboxUser
        )
        bundle.bindReadOnly("/usr", at: "/usr")
        for directory in HostSystemDirectory.present {
            switch directory {
            case .symlink(let path, let target): bundle.addSymlink(path, to: target)
            case .directory(let path): bundle.bindReadOnly(path, at: path)
            }
        }
        for file in HostSystemDirectory.configurationFiles where HostPaths.exists(file) {
            bundle.bindReadOnly(file, at: file, isFile: true)
        }
        if let prefix = python.prefixOutsideUsr {
            bundle.bindReadOnly(prefix, at: prefix)
        }
        bundle.bindReadOnly(staging.files, at: stagingMount)
        bundle.mountTmpfs(at: "/tmp", sizeBytes: limits.tempBytes)
        bundle.mountProc(at: "/proc")
        // runsc mounts its own /dev (null, zero, urandom, pts...) and a synthetic /sys; /etc
        // stays empty but for the configuration files bound above.
        bundle.addDirectory("/dev")
        bundle.addDirectory("/etc")

        // --rootless: runsc sets up its own user namespace instead of needing a privileged start;
        // --ignore-cgroups: the limits come from prlimit inside, and rootless runsc cannot make
        // cgroups; the state dir lies inside the staging directory and is removed with it.
        let arguments = [
            "--rootless", "--network=none", "--ignore-cgroups",
            "--root", staging.state,
            "run", "--bundle", staging.bundle, staging.containerID,
        ]
        return SandboxInvocation(executable: executable, arguments: arguments, hostUserID: nil, bundle: bundle)
    }
}
