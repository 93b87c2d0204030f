/// How the sandbox's process ended.
public enum SandboxExitStatus: Sendable, Hashable, CustomStringConvertible {
    /// It exited with this code (a signal inside the sandbox shows as 128 + its number).
    case exited(Int32)
    /// It was killed by this signal (the wall-time or output limit kills with SIGKILL).
    case signaled(Int32)

    public var description: String {
        switch self {
        case .exited(let code): "exited(\(code))"
        case .signaled(let signal): "signaled(\(signal))"
        }
    }
}
