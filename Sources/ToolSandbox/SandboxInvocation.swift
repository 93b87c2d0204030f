/// The command line that starts one sandboxed python3: the runtime, its confinement flags,
/// `prlimit` for the rlimits, and the harness; for gVisor also the OCI bundle to stage.
struct SandboxInvocation: Sendable {
    var executable: String
    var arguments: [String]
    /// The host user the runtime is started as: an unprivileged one when we are root, because
    /// RLIMIT_NPROC does not bind a process whose real user outside the namespace is root.
    var hostUserID: UInt32?
    /// What runsc runs (gVisor only), written into the staging directory before the run.
    var bundle: OCIBundle?

    /// The user the tool runs as inside the sandbox: nobody.
    static let sandboxUser: UInt32 = 65534
    /// Where the staged files appear inside the sandbox.
    static let stagingMount = "/sandbox"
    /// The whole environment python3 gets, inside either runtime.
    static let environment: KeyValuePairs<String, String> = [
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONIOENCODING": "utf-8",
    ]

    /// Resolves everything on the host; throws the error that names what to install.
    static func make(
        runtime: SandboxRuntime,
        python configuredPython: String?,
        limits: SandboxLimits,
        staging: StagingDirectory.Layout
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
        let python = try PythonInstallation.resolve(configuredPython)

        // One limits mechanism for both runtimes: prlimit sets the rlimits on python3 inside the
        // sandbox, where bubblewrap's host kernel and gVisor's Sentry each enforce them.
        let command = [
            prlimit,
            "--cpu=\(limits.cpuSeconds):\(limits.cpuSeconds + 1)",
            "--as=\(limits.memoryBytes)",
            // One more than the tool's own: the harness's supervising process (see ``Harness``).
            "--nproc=\(limits.processes + 1)",
            "--fsize=\(limits.tempBytes)",
            "--nofile=256",
            "--core=0",
            "--",
            python.path, "-I", "-B",
            stagingMount + "/harness.py",
        ]
        switch runtime {
        case .bubblewrap:
            return bubblewrap(runtimeExecutable, command: command, python: python, limits: limits, staging: staging)
        case .gVisor:
            return gVisor(runtimeExecutable, command: command, python: python, limits: limits, staging: staging)
        }
    }
}
