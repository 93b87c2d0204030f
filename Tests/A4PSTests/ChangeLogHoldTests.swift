import A4PS
import Foundation
import GRDB
import LivingImage
import Testing

/// Compacting the change log keeps what the loops' records still name: an approved amendment and
/// the change before it, an ascension's and a fine-tune's swap and undo point, and where BRICK's
/// dissonance starts — and the undo points still roll back.
@Suite struct ChangeLogHoldTests {
    @Test func theLoopsUndoPointsSurviveCompactionAndStillRollBack() async throws {
        try await withRuntime { runtime, _ in
            let image = runtime.image
            let now = Date()
            try await image.setSlot("mood", of: "BRICK", to: "plain")
            let beforeAmendment = try #require(try image.history(proto: "BRICK", limit: 1).last).id
            let store = try CodexProposalStore(image: image)
            let proposal = try store.propose(persona: "BRICK", diff: CodexDiff(set: ["motto": "Rigor first."]), proposer: .architect)
            let amendment = try #require(try await store.approve(proposal.id).changeID)
            let forged = try #require(try await image.defineMethod("helper", on: "BRICK", source: "return 1", author: .forge)).id
            let ascensionUndo = try #require(try await image.setSlot("a", of: "ROBIN", to: 1)).id
            let ascensionSwap = try #require(try await image.setSlot("b", of: "ROBIN", to: 2)).id
            let fineTuneUndo = try #require(try await image.setSlot("c", of: "BABS", to: 3)).id
            let fineTuneSwap = try #require(try await image.setSlot("d", of: "BABS", to: 4)).id
            let unheld = try #require(try await image.setSlot("e", of: "BABS", to: 5)).id
            try await image.database.write { db in
                try db.execute(sql: """
                    INSERT INTO ascensions(persona, candidate, current, status, trigger, base_version, change_id, rollback_to, created_at)
                    VALUES ('ROBIN', 'bigger', 'smaller', 'applied', 'test', 1, ?, ?, ?)
                    """, arguments: [ascensionSwap, ascensionUndo, now.timeIntervalSince1970])
                try db.execute(sql: """
                    INSERT INTO finetune_jobs(persona, status, trigger, examples, holdout, dataset_digest, created_at, provenance)
                    VALUES ('BABS', 'succeeded', 'test', 1, 0, 'x', ?, ?)
                    """, arguments: [now.timeIntervalSince1970, #"{"change": \#(fineTuneSwap), "rollback_to": \#(fineTuneUndo)}"#])
                try db.execute(sql: "UPDATE changes SET at = ?", arguments: [now.timeIntervalSince1970 - 100 * 86_400])
            }
            // Newer changes to each persona, so none of the named changes is its proto's latest or the one before.
            for persona in ["BRICK", "ROBIN", "BABS"] {
                try await image.setSlot("later", of: persona, to: true)
                try await image.setSlot("later", of: persona, to: false)
            }

            let report = try image.compactHistory(keepingDays: 30, now: now, holds: ChangeLogHold.loops)
            let left = Set(try image.history(limit: 1_000_000).map(\.id))
            for kept in [beforeAmendment, amendment, forged, ascensionUndo, ascensionSwap, fineTuneUndo, fineTuneSwap] {
                #expect(left.contains(kept), "change \(kept) was removed")
            }
            #expect(!left.contains(unheld))
            #expect(report.keptByHold["codex amendments and undo points"] == 2)
            #expect(report.keptByHold["ascension swaps and undo points"] == 2)
            #expect(report.keptByHold["fine-tune swaps and undo points"] == 2)
            #expect(report.keptByHold["where BRICK's and ROBIN's dissonance starts"] == 1)

            try await image.rollback("BABS", toChange: fineTuneUndo)
            #expect(image.memory.proto(named: "BABS")?.slots["d"] == nil && image.memory.proto(named: "BABS")?.slots["c"] == 3)
            try await image.rollback("BRICK", toChange: beforeAmendment)
            #expect(image.memory.proto(named: "BRICK")?.codex["motto"] != "Rigor first.")
            #expect(image.memory.proto(named: "BRICK")?.slots["mood"] == "plain")
        }
    }
}
