import JSON

/// What one sandboxed call of a Python tool's `run(args)` came to.
public struct ToolRun: Sendable {
    /// How the call ended.
    public enum Outcome: Sendable, Hashable {
        /// `run` returned this JSON answer.
        case answered(JSONValue)
        /// The tool raised (or did not load, or broke the contract); the exception and traceback.
        case raised(PythonFailure)
        /// The sandbox was stopped at a limit before an answer came.
        case stopped(SandboxLimit)
        /// The process ended with no answer and no traceback (`os._exit`, a signal).
        case crashed
    }

    public var outcome: Outcome
    /// The limit the run ran into, if any; also set when a raised exception is a limit's doing
    /// (`MemoryError` → `.memory`, a refused fork → `.processes`).
    public var limitHit: SandboxLimit?
    /// The start of what the tool printed on stdout (the answer envelope taken out).
    public var standardOutput: String
    /// The start of what the tool printed on stderr.
    public var standardError: String
    /// How the sandbox process ended.
    public var exitStatus: SandboxExitStatus
    /// Wall-clock time from launch to the end of the sandbox.
    public var duration: Duration

    /// The answer, when `run` returned one.
    public var answer: JSONValue? {
        if case .answered(let value) = outcome { return value }
        return nil
    }

    /// The exception, when the tool raised one.
    public var failure: PythonFailure? {
        if case .raised(let failure) = outcome { return failure }
        return nil
    }
}
