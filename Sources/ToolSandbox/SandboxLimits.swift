/// The limits a sandboxed Python run is held to; passing one stops the run and says which.
public struct SandboxLimits: Sendable, Hashable {
    /// Wall-clock time for the whole run; past it the sandbox and every process in it are killed.
    public var wallTime: Duration
    /// CPU seconds per process (RLIMIT_CPU); the process gets SIGXCPU when it passes them.
    public var cpuSeconds: Int
    /// Address space per process in bytes (RLIMIT_AS); allocations past it raise `MemoryError`.
    public var memoryBytes: Int
    /// Processes and threads the tool may have at once (RLIMIT_NPROC, bound to a non-root user).
    public var processes: Int
    /// Bytes of stdout plus stderr collected; past it the run is killed.
    public var outputBytes: Int
    /// Size of the private writable temp dir (a tmpfs at `/tmp`), and of any one file in it.
    public var tempBytes: Int
    /// How much of stdout and stderr a result keeps, in bytes each.
    public var excerptBytes: Int

    public init(
        wallTime: Duration = .seconds(10),
        cpuSeconds: Int = 5,
        memoryBytes: Int = 512 << 20,
        processes: Int = 16,
        outputBytes: Int = 1 << 20,
        tempBytes: Int = 64 << 20,
        excerptBytes: Int = 8 << 10
    ) {
        self.wallTime = wallTime
        self.cpuSeconds = cpuSeconds
        self.memoryBytes = memoryBytes
        self.processes = processes
        self.outputBytes = outputBytes
        self.tempBytes = tempBytes
        self.excerptBytes = excerptBytes
    }
}
