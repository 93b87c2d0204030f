/// `[scheduler]`: the VRAM budget and how models share it.
public struct SchedulerSettings: Sendable, Hashable {
    /// `vram_gb` — GPU memory the models may use, in GB (10^9 bytes). Default 8.
    public var vramGB = 8.0
    /// `policy` — `budget` (default) or `sequential`.
    public var policy = SchedulingPolicy.budget
    /// `keep_alive` — how long the server keeps a model the `budget` policy loaded, as Ollama's
    /// `keep_alive` (`"30m"`, seconds, negative = until unloaded). Default `"30m"`.
    public var keepAlive = KeepAlive.duration(seconds: 1800)

    public init() {}

    /// The budget in bytes.
    public var vramBytes: Int64 { Int64((vramGB * 1e9).rounded()) }
}
