import Foundation
import LivingImage

/// A deliberation run: its graph, where it stands, and why it stopped if it did.
public struct RunRecord: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        /// Working, or stopped by a crash: `resume` goes on from the last checkpoint.
        case running
        /// Waiting for a human (`interrupt`): `resume` with their input.
        case paused
        case done
        /// A node failed: `resume` retries it.
        case failed
    }

    public var id: String
    /// `PROTO.slot` holding the graph definition.
    public var graph: String
    public var status: Status
    /// The last checkpoint's step.
    public var step: Int
    /// The node that runs next (`END` when done).
    public var next: String
    /// What the paused node asked the human.
    public var interrupt: JSONValue?
    /// The human's answers so far to the interrupts of the node the run stands at: when it runs
    /// again, its k-th `interrupt` returns the k-th answer.
    public var answers: [JSONValue]
    public var error: String?
    public var forkedFrom: String?
    public var createdAt: Date
    public var updatedAt: Date
}

/// One checkpoint: the state after `step` nodes, and the node to run next.
public struct Checkpoint: Sendable, Hashable {
    public var run: String
    public var step: Int
    /// The node whose update this checkpoint holds (nil for the initial state).
    public var node: String?
    public var next: String
    public var state: JSONValue
    public var at: Date
    /// How long the node (and the router after it) took.
    public var durationMs: Double = 0
    /// Models loaded into GPU memory while the node ran.
    public var modelLoads: Int = 0
}
