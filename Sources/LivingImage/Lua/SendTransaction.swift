import CLuaShim

/// The state shared by a top-level send and its nested sends: the budget the hook checks and
/// the slot writes staged until the top-level method returns normally.
final class SendTransaction {
    let budget: UnsafeMutablePointer<a4_budget>
    let limits: RunLimits
    let author: ChangeAuthor
    /// For a trial: the clone that stands in for its original; the send commits nothing.
    let trialClone: Proto?
    /// Bytes of the payloads the send has emitted so far (they count against its memory cap).
    var emittedBytes = 0
    /// Staged slot writes: proto → slot → new value (`nil` removes the slot).
    var writes: [String: [String: JSONValue?]] = [:]

    init(limits: RunLimits, memoryInUse: Int, author: ChangeAuthor, trialClone: Proto? = nil) {
        self.limits = limits
        self.author = author
        self.trialClone = trialClone
        budget = .allocate(capacity: 1)
        budget.initialize(to: a4_budget(
            instructions_left: limits.instructions,
            deadline: a4_now() + limits.wallClockSeconds,
            memory_ceiling: memoryInUse + limits.memoryBytes,
            kill_reason: Int32(A4_KILL_NONE.rawValue),
            until_clock: 0))
    }

    deinit { budget.deallocate() }

    var killReason: a4_kill_reason { a4_kill_reason(rawValue: UInt32(budget.pointee.kill_reason)) }

    /// The value a method of `proto` sees for `slot`: its own staged write first.
    func staged(_ proto: String, _ slot: String) -> JSONValue?? {
        guard let protoWrites = writes[proto], let entry = protoWrites.index(forKey: slot) else { return nil }
        return .some(protoWrites[entry].value)
    }
}
