/// Limits on one top-level message send and every send nested in it.
///
/// The memory cap stops allocation bombs (LUA_ERRMEM); the instruction budget and the
/// wall-clock deadline stop endless loops, and a script's own `pcall` cannot swallow either.
public struct RunLimits: Sendable, Hashable {
    /// Bytes the send may allocate on top of what the VM held when it started.
    public var memoryBytes: Int
    /// Lua VM instructions across the send and its nested sends.
    public var instructions: Int64
    /// Wall-clock seconds from the start of the send, host waits included.
    public var wallClockSeconds: Double
    /// How deep sends may nest (`self:send` inside `self:send` ...).
    public var maxSendDepth: Int

    public init(memoryBytes: Int = 64 << 20, instructions: Int64 = 200_000_000,
                wallClockSeconds: Double = 300, maxSendDepth: Int = 64) {
        self.memoryBytes = memoryBytes
        self.instructions = instructions
        self.wallClockSeconds = wallClockSeconds
        self.maxSendDepth = maxSendDepth
    }

    public static let standard = RunLimits()
}
