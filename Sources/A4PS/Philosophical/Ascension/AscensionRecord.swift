import Foundation
import JSON

/// One ascension of a persona to a candidate base model (seed 002 Part IV), durable in the image
/// file (`a4ps ascend list|show`): BABS's evaluation of the candidate on the persona's golden
/// hold-out, then — when it beat the current binding — the protocol on a clone (pull, bind,
/// temporary adapter, validation), the proposal the Architect decides (one id space with the codex
/// amendments, `a4ps proposals`), and what applying it did (the swap, the fine-tune job, the
/// re-curation); or the reason it ended.
public struct AscensionRecord: Sendable, Hashable {
    /// Where an ascension is.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Being evaluated or validated (``phase`` says which step).
        case running
        /// The candidate did not beat the current binding by `min_gain` (at evaluation, or on the clone).
        case rejected
        /// It could not be evaluated: the candidate does not exist, does not fit, does not load, answers garbage…
        case failed
        /// Validated on the clone; the proposal waits for the Architect.
        case proposed
        /// The persona ascended: its model binding was swapped.
        case applied
        /// The Architect rejected the proposal.
        case declined
        /// The proposal was not decided in time; it changed nothing.
        case expired

        /// Whether the ascension has ended (nothing more happens to it).
        public var isFinal: Bool { self != .running && self != .proposed }
    }

    public var id: Int64
    /// The persona (`BRICK`).
    public var persona: String
    /// The candidate base model, as the persona would think with it.
    public var candidate: String
    /// The model the persona thought with when the ascension began.
    public var current: String
    /// The persona's `model` slot then (nil: none, so config.toml or its codex chose): approval
    /// swaps only if it is still the same.
    public var baseSlot: JSONValue?
    public var status: Status
    /// `checking`, `pulling`, `loading`, `evaluating`, `cloning`, `training`, `validating`, `proposing`.
    public var phase: String?
    /// Who asked: `architect` (`a4ps ascend evaluate`), or a goal of the motivator.
    public var trigger: String
    /// The persona's version the clone was taken from.
    public var baseVersion: Int64
    /// The clone while it lives (its binding, what it inherited); nil once removed.
    public var clone: JSONValue?
    /// BABS's evaluation: the candidate on the clone against the binding, judged blind (``BlindValidation``).
    public var evaluation: JSONValue?
    /// The validation of the clone with its temporary adapter, when one was trained.
    public var validation: JSONValue?
    /// What it cost and found: the candidate, the pull, the adapter, timings.
    public var evidence: JSONValue
    /// Why it ended as it did.
    public var reason: String?
    /// Its proposal's id (shared with codex amendments) once validated.
    public var proposal: Int64?
    public var expiresAt: Date?
    public var decidedAt: Date?
    /// The Architect's note with the decision.
    public var note: String?
    /// The change that swapped the persona's binding, and the one before it (`a4ps image rollback PERSONA --to N`).
    public var changeID: Int64?
    public var rollbackTo: Int64?
    /// The fine-tune job queued for the new base, or why none was.
    public var finetuneJob: Int64?
    /// What the re-curation of past interactions through the new mind did.
    public var recuration: JSONValue?
    /// What the ascension put on the model server (a served model, a pulled model, a temporary adapter).
    public var served: JSONValue
    public var createdAt: Date
    public var finishedAt: Date?

    /// The mean Oracle scores of the decisive comparison (the validation when there was one, else the evaluation).
    public var scores: (old: Double, new: Double)? {
        guard let decisive = validation ?? evaluation, let old = decisive["old_mean"]?.doubleValue,
              let new = decisive["new_mean"]?.doubleValue else { return nil }
        return (old, new)
    }

    /// The record as JSON (`a4ps ascend show`, `a4ps proposals show`).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .int(Int(id)), "kind": "ascension", "persona": .string(persona), "candidate": .string(candidate), "current": .string(current),
            "status": .string(status.rawValue), "trigger": .string(trigger), "base_version": .int(Int(baseVersion)), "evidence": evidence,
            "served": served, "created_at": .number(createdAt.timeIntervalSince1970),
        ]
        let optional: [String: JSONValue?] = [
            "base_slot": baseSlot, "phase": phase.map { .string($0) }, "clone": clone, "evaluation": evaluation, "validation": validation,
            "reason": reason.map { .string($0) }, "proposal": proposal.map { .int(Int($0)) },
            "expires_at": expiresAt.map { .number($0.timeIntervalSince1970) }, "decided_at": decidedAt.map { .number($0.timeIntervalSince1970) },
            "note": note.map { .string($0) }, "change": changeID.map { .int(Int($0)) }, "rollback_to": rollbackTo.map { .int(Int($0)) },
            "finetune_job": finetuneJob.map { .int(Int($0)) }, "recuration": recuration,
            "finished_at": finishedAt.map { .number($0.timeIntervalSince1970) },
        ]
        for case let (key, value?) in optional { object[key] = value }
        return .object(object)
    }

    /// This ascension as a proposal in the one list it shares with codex amendments: proposed is
    /// pending (expired once its time ran out), applied approved, declined rejected; the rest expired.
    public func proposalStatus(now: Date = Date()) -> CodexProposal.Status {
        switch status {
        case .proposed: (expiresAt ?? .distantFuture) <= now ? .expired : .pending
        case .applied: .approved
        case .declined: .rejected
        default: .expired
        }
    }

}
