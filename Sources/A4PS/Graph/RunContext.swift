import LivingImage
import Synchronization

/// The run a node's send belongs to, visible to host primitives (as a task-local) while the
/// node's method runs: it replays the human's answers to the node's earlier `interrupt`s, in
/// order, and takes the payload of a new one.
final class RunContext: Sendable {
    @TaskLocal static var current: RunContext?

    let run: String
    /// The step this node's checkpoint will have.
    let step: Int
    private let state: Mutex<(answers: [JSONValue], used: Int, payload: JSONValue?)>
    private let memories = Atomic<Int>(0)

    init(run: String, step: Int, answers: [JSONValue]) {
        self.run = run
        self.step = step
        state = Mutex((answers, 0, nil))
    }

    var interruptPayload: JSONValue? { state.withLock { $0.payload } }

    /// The origin of the node's next memory (`run/step N/k`): the same on every execution of the
    /// node, so a node run again after a crash finds what it remembered the first time.
    func nextMemoryOrigin() -> String {
        let k = memories.add(1, ordering: .relaxed).newValue
        return "\(run)/step \(step)/\(k)"
    }

    /// `interrupt(payload)`: the human's answer when the run was resumed with one; otherwise the
    /// node stops here (uncatchably) and the run pauses with `payload`.
    static let primitive = HostPrimitive(name: "interrupt") { arguments, _ in
        guard let context = RunContext.current else {
            throw ImageError(.methodFailed, "interrupt(payload) only works inside a deliberation run (a4ps ask, a4ps runs)")
        }
        let payload = arguments.first ?? .null
        return try context.state.withLock { (s) throws(ImageError) -> JSONValue in
            if s.used < s.answers.count {
                s.used += 1
                return s.answers[s.used - 1]
            }
            s.payload = payload
            throw ImageError(.interrupted, "paused for a human: \(payload.jsonText.prefix(200))")
        }
    }
}
