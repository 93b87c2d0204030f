/// Which of the ``SandboxLimits`` a run ran into.
public enum SandboxLimit: String, Sendable, Hashable, CustomStringConvertible {
    /// The wall-clock limit passed; the sandbox was killed.
    case wallTime = "wall time"
    /// The CPU-time limit passed (SIGXCPU).
    case cpuTime = "CPU time"
    /// An allocation passed the address-space limit (`MemoryError`).
    case memory
    /// A fork or a thread was refused at the process limit.
    case processes
    /// stdout and stderr together passed their limit; the sandbox was killed.
    case output = "output size"
    /// The private temp dir (or a file in it) is full.
    case disk = "temp space"

    public var description: String { rawValue }
}
