import Foundation
import GRDB
import Inference
import JSON
import LivingImage

/// Deciding an ascension proposal (`a4ps proposals approve|reject ID`) and applying it (seed 002
/// §4.3): the compare-and-swap of the persona's model binding by the author `ascension` (the
/// decision commits in the same transaction; the change-log entry names the proposal and the
/// evidence's digest), then a full fine-tune job on the whole golden dataset for the new base (the
/// strategic loop), then the re-curation of past interactions through the new mind. `a4ps image
/// rollback PERSONA --to N` undoes the swap.
extension AscensionWorker {
    /// Applies ascension proposal `proposal` with the Architect's approval. Refused, changing
    /// nothing, when it is unknown, decided or expired, or when the persona's binding changed since
    /// the ascension was evaluated (a conflict).
    @discardableResult
    public func approve(proposal: Int64, note: String? = nil, now: Date = Date()) async throws -> AscensionRecord {
        try await apply(proposal: proposal, note: note, byArchitect: true, now: now)
    }

    /// Refuses ascension proposal `proposal`: the binding is unchanged, the clone and what was put
    /// on the server for it are removed, the refusal and its note remembered.
    @discardableResult
    public func reject(proposal: Int64, note: String? = nil, now: Date = Date()) async throws -> AscensionRecord {
        let record = try pending(proposal, now: now, deciding: "reject")
        guard try store.decline(proposal: proposal, note: note, now: now) else {
            _ = try pending(proposal, now: now, deciding: "reject")
            throw AscensionError(.alreadyDecided, "ascension proposal \(proposal) was decided meanwhile")
        }
        await removeClone(of: record)
        let declined = try store.require(record.id)
        publish("philosophical.ascension.rejected", declined, ["by": "architect", "proposal": .int(Int(proposal)),
                                                              "note": note.map { .string($0) } ?? .null])
        publishProposal("philosophical.proposal.rejected", declined)
        return declined
    }

    /// Marks the overdue proposals expired (they change nothing) and removes their clones.
    @discardableResult
    public func expire(now: Date = Date()) async throws -> [AscensionRecord] {
        let expired = try store.expire(now: now)
        for record in expired {
            await removeClone(of: record)
            publish("philosophical.ascension.expired", record)
            publishProposal("philosophical.proposal.expired", record)
        }
        return expired
    }

    /// The swap, the fine-tune job, the re-curation (`byArchitect` false: `ascension_policy = "auto"`).
    func apply(proposal: Int64, note: String?, byArchitect: Bool, now: Date = Date()) async throws -> AscensionRecord {
        let record = try pending(proposal, now: now, deciding: "approve")
        let persona = record.persona
        guard var current = image.memory.proto(named: persona) else {
            throw AscensionError(.noSuchPersona, "\(persona) no longer exists; reject proposal \(proposal) (`a4ps proposals reject \(proposal)`)")
        }
        try await serveAgain(record)
        let evidenceDigest = ContentDigest.sha256(record.evidenceForDigest.jsonText)
        let decision = byArchitect ? "approved by the Architect" : "applied by ALFRED's codex (ascension_policy = \"auto\")"
        let reason = "ascension proposal \(proposal) \(decision)" + (note.map { " (\($0))" } ?? "")
            + ": \(persona) ascends from \(record.current) to \(record.candidate) — \(record.reason ?? "validated on a clone")"
            + "; ascension \(record.id), evidence \(evidenceDigest)"
        let before = try? image.history(proto: persona, limit: 1).last?.id
        var change: ChangeRecord?
        var swapped = false
        for _ in 0..<4 where !swapped {
            guard current.slots[GovernanceRules.modelSlot] == record.baseSlot else { throw conflict(record, now: current) }
            var clone = current.clone()
            clone.slots[GovernanceRules.modelSlot] = .string(record.candidate)
            do {
                change = try await image.memory.swap(clone, expecting: current.version, author: .ascension, reason: reason, kind: "ascension") { db in
                    try AscensionStore.markApplied(db, proposal: proposal, note: note, now: now)
                }
                swapped = true
            } catch {
                // Another change to the persona committed first: look again (its binding may still be the evaluated one).
                if error.code == .conflict, let fresh = image.memory.proto(named: persona) {
                    current = fresh
                    continue
                }
                if try store.record(proposal: proposal)?.status != .proposed { _ = try pending(proposal, now: now, deciding: "approve") }
                throw error
            }
        }
        guard swapped else {
            throw AscensionError(.conflict, "\(persona) kept changing while the ascension to \(record.candidate) was applied; approve it again")
        }
        var applied = try store.require(record.id)
        publish("philosophical.ascension.applied", applied, ["proposal": .int(Int(proposal)), "change": change.map { .int(Int($0.id)) } ?? .null,
                                                            "from": .string(record.current), "by": byArchitect ? "architect" : "ascension_policy"])
        publishProposal("philosophical.proposal.approved", applied)

        // The new base learns the persona's whole golden dataset: a fine-tune job of the strategic loop.
        var after: [String: JSONValue] = ["evidence_digest": .string(evidenceDigest)]
        var job: Int64?
        do {
            job = try finetune.enqueue(persona: persona, trigger: "ascension").id
        } catch {
            after["finetune_not_queued"] = .string("\(error) — queue it with `a4ps finetune \(persona)`")
        }
        try store.recordApplied(record.id, change: change?.id, rollbackTo: before, finetuneJob: job, evidence: after)
        // Its past, through the new mind: the Oracle re-scores it into golden examples.
        let recuration = await recurate(record)
        try store.recordRecuration(record.id, recuration)
        applied = try store.require(record.id)
        publish("philosophical.ascension.recurated", applied, recuration.objectValue ?? [:])
        return applied
    }

    /// The ascension of proposal `proposal` while it may still be decided; otherwise the error that
    /// says why not (an overdue one is marked expired first).
    func pending(_ proposal: Int64, now: Date, deciding verb: String) throws -> AscensionRecord {
        guard let record = try store.record(proposal: proposal) else {
            throw AscensionError(.noSuchAscension, "there is no ascension proposal \(proposal) (see `a4ps proposals list`)")
        }
        switch record.status {
        case .proposed where (record.expiresAt ?? .distantFuture) <= now:
            try store.expire(now: now)
            throw expired(record)
        case .proposed:
            return record
        case .expired:
            throw expired(record)
        default:
            throw AscensionError(.alreadyDecided, "ascension proposal \(proposal) was already \(record.status == .applied ? "approved" : "decided")"
                + " (\(record.status.rawValue))" + (record.decidedAt.map { " at \(ISO8601DateFormatter().string(from: $0))" } ?? "")
                + "; it cannot be \(verb == "approve" ? "approved" : "rejected") again — evaluate anew (`a4ps ascend evaluate \(record.persona) \(record.candidate)`)")
        }
    }

    private func expired(_ record: AscensionRecord) -> AscensionError {
        AscensionError(.expired, "ascension proposal \(record.proposal ?? 0) expired"
            + (record.expiresAt.map { " at \(ISO8601DateFormatter().string(from: $0))" } ?? "")
            + " before the Architect decided; it changes nothing — evaluate anew (`a4ps ascend evaluate \(record.persona) \(record.candidate)`)")
    }

    private func conflict(_ record: AscensionRecord, now proto: Proto) -> AscensionError {
        let then = record.baseSlot?.jsonText ?? "none"
        let current = proto.slots[GovernanceRules.modelSlot]?.jsonText ?? "none"
        return AscensionError(.conflict, "\(record.persona)'s model binding changed since ascension proposal \(record.proposal ?? 0) was "
            + "evaluated (its model slot was \(then), now \(current)); nothing changed — reject it (`a4ps proposals reject \(record.proposal ?? 0)`) "
            + "and evaluate the candidate again against the current binding")
    }

    /// The candidate served in this process before the persona is bound to it (another process evaluated it).
    private func serveAgain(_ record: AscensionRecord) async throws {
        guard let embedded = models.backend(for: record.persona) as? EmbeddedBackend,
              let file = record.served["file"]?.stringValue, !embedded.server.servesModel(record.candidate) else { return }
        try await embedded.server.register(model: file, as: record.candidate)
    }

    func publishProposal(_ name: String, _ record: AscensionRecord) {
        var payload: [String: JSONValue] = ["proposal": .int(Int(record.proposal ?? 0)), "kind": "ascension",
                                            "status": .string(record.status.rawValue), "ascension": .int(Int(record.id))]
        if let note = record.note { payload["note"] = .string(note) }
        if let change = record.changeID { payload["change"] = .int(Int(change)) }
        image.events.publish(.emitted(proto: record.persona, name: name, payload: .object(payload)))
    }
}

extension AscensionRecord {
    /// What the evidence digest in the change log is the digest of: the evaluation, the validation and the evidence.
    var evidenceForDigest: JSONValue {
        ["evaluation": evaluation ?? .null, "validation": validation ?? .null, "evidence": evidence]
    }
}
