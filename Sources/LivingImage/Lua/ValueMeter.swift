import CLuaShim

/// Counts the host's work of moving one value between Lua and JSON against the send's limits.
///
/// A Lua value is a graph: `t = {t, t}` thirty times over is a 31-table value that reads as
/// 2^30 JSON nodes. So a read counts every node it builds against the send's memory cap (in
/// the bytes the same tree would take in Lua, so any tree that fits in the VM fits here) and
/// against its instruction budget and deadline, and stops cleanly past either. A value the host
/// pushes into Lua is measured the same way before a single byte of it is pushed.
struct ValueMeter {
    /// Bytes a node costs: one Lua value slot.
    static let nodeBytes = 16
    /// Bytes an object member costs on top of its value: the key's slot and its string header.
    static let memberBytes = 40
    /// Bytes a string costs on top of its slot: its header.
    static let stringBytes = 24

    private let budget: UnsafeMutablePointer<a4_budget>?
    private let capBytes: Int
    private var bytesLeft: Int
    private var unpaidSteps: Int64 = 0

    /// A meter for a value of at most `capBytes` bytes, whose steps are paid to `budget`.
    init(budget: UnsafeMutablePointer<a4_budget>?, capBytes: Int) {
        self.budget = budget
        self.capBytes = max(0, capBytes)
        bytesLeft = self.capBytes
    }

    /// Bytes counted so far.
    var bytesUsed: Int { capBytes - bytesLeft }

    /// A meter for one value read or pushed during `transaction`.
    init(_ transaction: SendTransaction) {
        self.init(budget: transaction.budget, capBytes: transaction.limits.memoryBytes)
    }

    /// Steps a node costs: building a Swift value (and a dictionary entry) takes several times
    /// what a VM instruction takes.
    static let nodeSteps: Int64 = 4

    /// Counts a node of `bytes` bytes, whose building takes `steps` steps.
    mutating func count(bytes: Int, steps: Int64 = nodeSteps) throws(ImageError) {
        bytesLeft -= bytes
        guard bytesLeft >= 0 else {
            throw ImageError(.outOfMemory, "not enough memory: the value is larger than the send's memory cap "
                + "of \(capBytes >> 10) KiB (a table that holds the same table many times?)")
        }
        unpaidSteps += steps
        if unpaidSteps >= 1024 { try pay() }
    }

    /// Counts a string of `length` bytes.
    mutating func countString(length: Int) throws(ImageError) {
        try count(bytes: Self.nodeBytes + Self.stringBytes + length, steps: Self.nodeSteps + Int64(length >> 4))
    }

    /// Pays the steps counted so far to the budget; throws `.killed` when a limit has struck.
    mutating func pay() throws(ImageError) {
        defer { unpaidSteps = 0 }
        guard let budget, unpaidSteps > 0 else { return }
        switch a4_kill_reason(rawValue: UInt32(a4_budget_spend(budget, unpaidSteps))) {
        case A4_KILL_NONE: return
        case A4_KILL_DEADLINE: throw ImageError(.killed, "the send ran past its deadline")
        default: throw ImageError(.killed, "the send used its instruction budget")
        }
    }

    /// Measures `value` as the Lua tree `LuaStack.push` would build (a step per node, paid to
    /// the budget) and throws when it would not fit in the `free` bytes the VM has left.
    static func checkFits(_ value: JSONValue, free: Int, budget: UnsafeMutablePointer<a4_budget>?) throws(ImageError) {
        var meter = ValueMeter(budget: budget, capBytes: max(0, free))
        try meter.measure(value)
        try meter.pay()
    }

    private mutating func measure(_ value: JSONValue) throws(ImageError) {
        switch value {
        case .null, .bool, .integer, .number:
            try count(bytes: Self.nodeBytes)
        case .string(let s):
            try countString(length: s.utf8.count)
        case .array(let items):
            // The table's header; each item counts its own slot.
            try count(bytes: Self.nodeBytes + 64)
            for item in items { try measure(item) }
        case .object(let members):
            // A hash part is rounded up to a power of two: up to twice the members.
            try count(bytes: Self.nodeBytes + 64 + Self.memberBytes * members.count, steps: Self.nodeSteps + Int64(members.count >> 4))
            for (key, member) in members {
                try countString(length: key.utf8.count)
                try measure(member)
            }
        }
    }
}
