import CLuaShim

/// The state shared by a top-level send and its nested sends: the budget the hook checks, the
/// slot writes staged until the top-level method returns normally, and what it read, for the
/// commit to check that nobody changed it meanwhile.
///
/// A send whose reads went stale is run again from the start, unless it already did something
/// the image cannot take back (``effect``): then it fails with a conflict.
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
    /// Slots read from the image (not from the send's own writes): proto → slot → the value
    /// first seen through the parent chain (`nil`: no proto in the chain had it).
    var reads: [String: [String: JSONValue?]] = [:]
    /// True when a slot read twice answered two different values (another send committed in
    /// between): the send worked on an inconsistent view and cannot commit.
    var readsDiverged = false
    /// The first thing the send did outside the image (`emit`, `think`, `memory.add`, ...): a
    /// send that did one is never re-run.
    var effect: String?

    init(limits: RunLimits, memoryInUse: Int, author: ChangeAuthor, trialClone: Proto? = nil, deadline: Double? = nil) {
        self.limits = limits
        self.author = author
        self.trialClone = trialClone
        budget = .allocate(capacity: 1)
        budget.initialize(to: a4_budget(
            instructions_left: limits.instructions,
            deadline: deadline ?? a4_now() + limits.wallClockSeconds,
            memory_ceiling: memoryInUse + limits.memoryBytes,
            kill_reason: Int32(A4_KILL_NONE.rawValue),
            until_clock: 0))
    }

    deinit { budget.deallocate() }

    var killReason: a4_kill_reason { a4_kill_reason(rawValue: UInt32(budget.pointee.kill_reason)) }

    /// Records that the send read `value` for `slot` of `proto` from the image.
    func noteRead(_ proto: String, _ slot: String, _ value: JSONValue?) {
        guard trialClone == nil else { return }
        if let first = reads[proto]?.index(forKey: slot) {
            if reads[proto]![first].value != value { readsDiverged = true }
        } else {
            reads[proto, default: [:]][slot] = .some(value)
        }
    }

    /// The value a method of `proto` sees for `slot`: its own staged write first.
    func staged(_ proto: String, _ slot: String) -> JSONValue?? {
        guard let protoWrites = writes[proto], let entry = protoWrites.index(forKey: slot) else { return nil }
        return .some(protoWrites[entry].value)
    }
}
