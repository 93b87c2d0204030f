import Foundation
import LivingImage

/// A goal the motivator set itself from an event (seed 003 Part IV): what to do (`kind` and its
/// `args`), why (the origin event), how urgent, where it is, and what came of it.
public struct Goal: Sendable, Hashable {
    /// Where a goal is.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Waiting to run.
        case queued
        /// Being pursued by a motivator (under a lease).
        case running
        /// Waiting for the budget, the quiet hours to end, or the Architect's request to finish (`reason` says which).
        case deferred
        case done
        /// Its handler raised; `reason` says why.
        case failed
        /// Cancelled by the Architect.
        case cancelled

        /// Whether the goal still counts as wanted (deduplication considers only these).
        public var isOpen: Bool { self == .queued || self == .running || self == .deferred }
    }

    /// What a goal does.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A follow-up deliberation (`args.task`), e.g. to resolve a dissonance.
        case deliberation
        /// A research task for BABS (`args.topic`): her report is remembered.
        case research
        /// Grow a missing method with the Tool Forge (`args.proto`, `args.selector`, `args.description`).
        case forge
        /// Queue a fine-tune of `args.persona` (the strategic loop).
        case finetune
        /// BABS evaluates base model `args.model` for `args.persona` (the philosophical loop; a winner
        /// starts the ascension protocol and ends in a proposal for the Architect).
        case ascension
        /// Have ALFRED draft a codex amendment from `args.evidence` (the philosophical loop).
        case amendment
    }

    public var id: Int64
    public var kind: Kind
    public var title: String
    public var args: JSONValue
    /// The same key twice while the first is open is one goal.
    public var key: String
    /// Higher runs first.
    public var priority: Int
    public var status: Status
    /// The event that set it: `{"event": NAME, "proto": …, "payload": …}`.
    public var origin: JSONValue
    /// Why it is deferred or failed, or how it ended.
    public var reason: String?
    /// The deliberation run (or drafting run) it started, when it started one.
    public var run: String?
    /// What came of it (the answer, the proposal, the forge's change, the job).
    public var outcome: JSONValue
    public var attempts: Int
    /// Seconds it has run so far (what the daily budget counts).
    public var secondsRun: Double
    public var createdAt: Date
    public var updatedAt: Date
    /// Not before this time (a deferred goal's next try).
    public var notBefore: Date?

    /// The goal as JSON (`a4ps goals show`, the API).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .int(Int(id)), "kind": .string(kind.rawValue), "title": .string(title), "args": args, "key": .string(key),
            "priority": .int(priority), "status": .string(status.rawValue), "origin": origin, "outcome": outcome,
            "attempts": .int(attempts), "seconds_run": .number(secondsRun),
            "created_at": .number(createdAt.timeIntervalSince1970), "updated_at": .number(updatedAt.timeIntervalSince1970),
        ]
        if let reason { object["reason"] = .string(reason) }
        if let run { object["run"] = .string(run) }
        if let notBefore { object["not_before"] = .number(notBefore.timeIntervalSince1970) }
        return .object(object)
    }
}
