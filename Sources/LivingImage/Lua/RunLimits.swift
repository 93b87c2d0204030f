/// Limits on one top-level message send and every send nested in it.
///
/// The memory cap stops allocation bombs (LUA_ERRMEM) and values that blow up when the host
/// copies them; the instruction budget and the wall-clock deadline stop endless loops, inside
/// the VM or inside a library function, and a script's own `pcall` cannot swallow either.
public struct RunLimits: Sendable, Hashable {
    /// Bytes the send may allocate on top of what the VM held when it started; also the most a
    /// value read out of Lua (an answer, `json.encode`, `emit`, ...) may take.
    public var memoryBytes: Int
    /// Lua VM instructions across the send and its nested sends; the work of library functions
    /// that loop in C (pattern matching, table.move, ...), of allocation and of the host's
    /// copying of values is counted in the same units.
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
