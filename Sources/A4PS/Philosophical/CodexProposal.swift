import Foundation
import LivingImage

/// An amendment to a persona's codex waiting for, or carrying, the Architect's decision (`a4ps
/// proposals list|show|approve|reject`): the change as a ``CodexDiff``, the codex it was drafted
/// against, the experience that motivated it and the reasoning that led to it (seed 003 §5.3).
public struct CodexProposal: Sendable, Hashable {
    /// Where a proposal is.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Waiting for the Architect.
        case pending
        /// Applied to the codex (``CodexProposal/changeID`` is the change).
        case approved
        /// Refused; the codex is unchanged and the refusal remembered.
        case rejected
        /// Not decided in time; it changes nothing.
        case expired
    }

    /// Who asked for the amendment.
    public enum Proposer: String, Sendable, Hashable, CaseIterable {
        /// Drafted by ALFRED from persistent dissonance.
        case alfred
        /// Asked for by the Architect (`a4ps codex propose`).
        case architect
    }

    public var id: Int64
    /// The persona whose codex it amends (`BRICK`).
    public var persona: String
    public var status: Status
    public var diff: CodexDiff
    /// The persona's version and codex digest when the proposal was drafted: approval applies the
    /// diff only to that same codex.
    public var baseVersion: Int64
    public var baseDigest: String
    /// The dissonant experience behind it: runs, transcripts, scores (free JSON).
    public var evidence: JSONValue
    /// The reasoning trace that led to the amendment.
    public var reasoning: String
    public var proposer: Proposer
    public var createdAt: Date
    public var expiresAt: Date
    public var decidedAt: Date?
    /// The Architect's note with the decision (or why it expired).
    public var note: String?
    /// The change-log entry that applied an approved proposal.
    public var changeID: Int64?
    /// The deliberation run that drafted it and waits (paused) for the decision, when ALFRED drafted it.
    public var run: String?

    /// Whether the Architect may still decide it at `now`.
    public func isOpen(at now: Date = Date()) -> Bool { status == .pending && expiresAt > now }

    /// The proposal as JSON (`a4ps proposals show`, the API).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .int(Int(id)), "persona": .string(persona), "status": .string(status.rawValue), "diff": diff.json,
            "base_version": .int(Int(baseVersion)), "base_digest": .string(baseDigest), "evidence": evidence,
            "reasoning": .string(reasoning), "proposer": .string(proposer.rawValue),
            "created_at": .number(createdAt.timeIntervalSince1970), "expires_at": .number(expiresAt.timeIntervalSince1970),
        ]
        if let decidedAt { object["decided_at"] = .number(decidedAt.timeIntervalSince1970) }
        if let note { object["note"] = .string(note) }
        if let changeID { object["change"] = .int(Int(changeID)) }
        if let run { object["run"] = .string(run) }
        return .object(object)
    }
}
