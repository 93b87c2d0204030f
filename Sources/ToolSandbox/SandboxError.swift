/// Why a sandboxed run could not happen at all (a tool's own failure is a result, not this).
///
/// Python tools are never run without a sandbox: every one of these refuses the run, and its
/// message names the fix.
public struct SandboxError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, to match on: `catch let error as SandboxError where error.code == .runtimeNotInstalled`.
    public struct Code: Sendable, Hashable {
        let name: String
        /// The configured sandbox (bwrap or runsc) is not installed.
        public static let runtimeNotInstalled = Code(name: "runtimeNotInstalled")
        /// A helper the sandbox needs (prlimit) is not installed.
        public static let helperNotInstalled = Code(name: "helperNotInstalled")
        /// No python3 to run inside the sandbox.
        public static let pythonNotFound = Code(name: "pythonNotFound")
        /// The sandbox itself failed to start (user namespaces off, a bind source missing...).
        public static let sandboxDidNotStart = Code(name: "sandboxDidNotStart")
        /// The private staging directory could not be made.
        public static let stagingFailed = Code(name: "stagingFailed")
        /// The sandbox process could not be launched or watched.
        public static let launchFailed = Code(name: "launchFailed")
    }

    private enum Reason: Sendable, Hashable {
        case runtimeNotInstalled(SandboxRuntime, looked: String)
        case helperNotInstalled(String, package: String)
        case pythonNotFound(String)
        case sandboxDidNotStart(SandboxRuntime, message: String)
        case stagingFailed(String)
        case launchFailed(String)
    }

    private let reason: Reason

    private init(_ reason: Reason) { self.reason = reason }

    static func runtimeNotInstalled(_ runtime: SandboxRuntime, looked: String) -> SandboxError {
        SandboxError(.runtimeNotInstalled(runtime, looked: looked))
    }
    static func helperNotInstalled(_ name: String, package: String) -> SandboxError {
        SandboxError(.helperNotInstalled(name, package: package))
    }
    static func pythonNotFound(_ looked: String) -> SandboxError { SandboxError(.pythonNotFound(looked)) }
    static func sandboxDidNotStart(_ runtime: SandboxRuntime, message: String) -> SandboxError {
        SandboxError(.sandboxDidNotStart(runtime, message: message))
    }
    static func stagingFailed(_ why: String) -> SandboxError { SandboxError(.stagingFailed(why)) }
    static func launchFailed(_ why: String) -> SandboxError { SandboxError(.launchFailed(why)) }

    public var code: Code {
        switch reason {
        case .runtimeNotInstalled: .runtimeNotInstalled
        case .helperNotInstalled: .helperNotInstalled
        case .pythonNotFound: .pythonNotFound
        case .sandboxDidNotStart: .sandboxDidNotStart
        case .stagingFailed: .stagingFailed
        case .launchFailed: .launchFailed
        }
    }

    public var description: String {
        switch reason {
        case .runtimeNotInstalled(let runtime, let looked):
            "\(runtime) is not installed (looked for \(looked)) — \(runtime.installHint); "
                + "Python tools are never run without a sandbox"
        case .helperNotInstalled(let name, let package):
            "\(name) is not installed — apt-get install \(package); the sandbox needs it to set limits"
        case .pythonNotFound(let looked):
            "python3 is not installed (looked for \(looked)) — apt-get install python3-minimal, "
                + "or give PythonSandbox the path of a python3"
        case .sandboxDidNotStart(let runtime, let message):
            "\(runtime) could not start the sandbox: \(message) — check that user namespaces are "
                + "enabled (sysctl user.max_user_namespaces > 0) and that python3 lives under /usr"
        case .stagingFailed(let why):
            "could not prepare the sandbox's private directory: \(why) — check free space and TMPDIR"
        case .launchFailed(let why):
            "could not launch the sandbox: \(why)"
        }
    }
}
