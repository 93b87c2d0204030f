import A4PS
import ArgumentParser
import Foundation
import LivingImage

/// Ascension proposals in `a4ps proposals`: one list and one id space with the codex amendments
/// (``AscensionStore`` takes its proposal ids from the same sequence); an id that is an
/// ascension's is shown, approved and rejected here.
extension ProposalsCommand {
    /// The ascension whose proposal is `id`, or nil when `id` is a codex amendment's (or nobody's).
    static func ascension(_ id: Int64, _ options: ImageOptions) async throws -> AscensionRecord? {
        try await AscendCommand.withStore(options) { try $0.record(proposal: id) }
    }

    /// The ascension proposals as lines of the proposals list, by id (with `status` as the list
    /// names it: pending, approved, rejected, expired).
    static func ascensionLines(_ options: ImageOptions, status: CodexProposal.Status?) async throws -> [(id: Int64, line: String)] {
        let records = try await AscendCommand.withStore(options) { try $0.records(limit: 1000) }
        return records.compactMap { record in
            guard let id = record.proposal else { return nil }
            let shown = record.proposalStatus()
            if let status, status != shown { return nil }
            var line = "\(id)  \(record.persona)  \(shown.rawValue)  by BABS (ascension \(record.id))  ascend \(record.current) → \(record.candidate)"
            if let scores = record.scores { line += String(format: " (Oracle %.2f → %.2f)", scores.old, scores.new) }
            if let note = record.note { line += "  — " + String(note.prefix(100)) }
            return (id, line)
        }
    }

    static func approveAscension(_ id: Int64, note: String?, _ options: ImageOptions) async throws {
        let record = try await options.withRuntime { runtime in
            try await runtime.ascension.expire()
            return try await runtime.ascension.approve(proposal: id, note: note)
        }
        emitLine("approved ascension proposal \(id): \(record.persona) now thinks with \(record.candidate)"
            + (record.changeID.map { " (change #\($0))" } ?? "")
            + (record.rollbackTo.map { "; undo with `a4ps image rollback \(record.persona) --to \($0)`" } ?? ""))
        if let job = record.finetuneJob {
            emitLine("  fine-tune job \(job) queued: the new base learns \(record.persona)'s whole golden dataset (`a4ps finetune run`, or `a4ps serve` runs it)")
        } else if let why = record.evidence["finetune_not_queued"]?.stringValue {
            emitLine("  no fine-tune job: \(why)")
        }
        if let recuration = record.recuration {
            if let skipped = recuration["skipped"]?.stringValue {
                emitLine("  re-curation: none (\(skipped))")
            } else {
                emitLine(String(format: "  re-curation: %d past request(s) of %d run(s) answered again, %d new golden example(s), %.1f s",
                                recuration["requests"]?.intValue ?? 0, recuration["runs"]?.intValue ?? 0,
                                recuration["golden_added"]?.intValue ?? 0, recuration["seconds"]?.doubleValue ?? 0))
            }
        }
    }

    static func rejectAscension(_ id: Int64, note: String?, _ options: ImageOptions) async throws {
        let record = try await options.withRuntime { runtime in
            try await runtime.ascension.expire()
            return try await runtime.ascension.reject(proposal: id, note: note)
        }
        emitLine("rejected ascension proposal \(id) of \(record.persona); it still thinks with \(record.current)")
    }
}
