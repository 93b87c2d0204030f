import Foundation
import GRDB
import Testing
@testable import LivingImage

/// A veto is an entry of the image's audit trail, not only an event and an error: it is kept
/// (rule, proto, subject, author, evidence, time) although the change it refused rolled back,
/// it survives the process, and an image of the first schema gains the trail when opened. The
/// budgets of the codex (forges per hour, fine-tunes per day) refuse through the same governor.
@Suite struct GovernorAuditTrailTests {
    @Test func aVetoIsKeptAlthoughTheChangeIsNot() async throws {
        let dir = TemporaryDirectory()
        let path = dir.path("audit.image")
        do {
            let image = try await Image.open(at: path, limits: testLimits)
            defer { image.close() }
            try await image.defineMethod("crown", on: "BRICK", source: "self:set('mood', 'regal') self:set('codex', {role = 'king'}) return 1")
            let changes = try image.history(limit: 1_000_000).count
            let entry = try await expectVeto("protected_slots", in: image, proto: "BRICK", author: .architect) {
                _ = try await image.send("BRICK", "crown")
            }
            #expect(entry?.veto.subject == "slot:codex")
            #expect(entry?.veto.evidence["path"] == "method" && entry?.veto.evidence["attempted"] == ["role": "king"])
            // The refused send committed nothing of its own: neither its other slot nor a change-log entry.
            #expect(try image.slot("mood", of: "BRICK") == nil)
            #expect(try image.history(limit: 1_000_000).count == changes)
            #expect(try image.vetoes(proto: "ROBIN").isEmpty)
            #expect(try image.vetoes(proto: "BRICK", subject: "slot:codex").count == 1)
        }
        // Durable: another process (here, another open) reads it from the file.
        let reopened = try await Image.open(at: path, create: false, limits: testLimits)
        defer { reopened.close() }
        let kept = try #require(try reopened.vetoes().last)
        #expect(kept.veto.rule == "protected_slots" && kept.veto.proto == "BRICK" && kept.veto.author == .architect)
        #expect(kept.veto.description.contains("only the Architect"))
        #expect(kept.json["kind"] == "veto" && kept.json["rule"] == "protected_slots")
    }

    @Test func anImageOfTheFirstSchemaGainsTheAuditTrail() async throws {
        let dir = TemporaryDirectory()
        let path = dir.path("old.image")
        do {
            let image = try await Image.open(at: path, limits: testLimits)
            try await image.defineMethod("old", on: "BABS", source: "return 'from the first schema'")
            image.close()
        }
        // Back to `image.v1`, as an earlier a4ps left its files.
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: """
                DROP TABLE governor_vetoes; DROP TABLE governor_spending;
                DELETE FROM grdb_migrations WHERE identifier = 'image.v2';
                UPDATE image_meta SET value = 'image.v1' WHERE key = 'schema';
                """)
        }
        try queue.close()

        let image = try await Image.open(at: path, create: false, limits: testLimits)
        defer { image.close() }
        #expect(try await image.send("BABS", "old") == "from the first schema")
        #expect(try await image.database.read { try String.fetchOne($0, sql: "SELECT value FROM image_meta WHERE key = 'schema'") } == "image.v2")
        #expect(try image.vetoes().isEmpty)
        try await expectVeto("verified_slots", in: image, proto: "BABS") { try await image.setSlot("tests", of: "BABS", to: [:]) }
    }

    @Test func theForgeBudgetIsCountedOnceForEveryProcess() async throws {
        try await withImage { image, dir in
            try await amendGovernance(image) { $0["forge_attempts_per_hour"] = 2 }
            let start = Date()
            try image.admitForge(on: "BRICK", selector: "double", at: start)
            // Another process on the same file spends from the same budget.
            let other = try await Image.open(at: dir.path("test.image"), create: false, limits: testLimits)
            defer { other.close() }
            try other.admitForge(on: "ROBIN", selector: "soothe", at: start.addingTimeInterval(1))
            #expect(try image.forgesStarted(inHourBefore: start.addingTimeInterval(2)) == 2)
            let spent = try await expectVeto("forge_attempts_per_hour", in: image, proto: "BABS", author: .forge) {
                try image.admitForge(on: "BABS", selector: "fetch", at: start.addingTimeInterval(2))
            }
            #expect(spent?.veto.evidence["started"] == 2 && spent?.veto.evidence["budget"] == 2)
            #expect(spent?.veto.description.contains("a4ps method define BABS fetch") == true)
            // A refused forge is not counted; an hour later the budget is there again.
            #expect(try image.forgesStarted(inHourBefore: start.addingTimeInterval(3)) == 2)
            try image.admitForge(on: "BABS", selector: "fetch", at: start.addingTimeInterval(Governor.forgeWindow + 2))
            // The forge grows only the protos the codex names, and says so before any work.
            try await expectVeto("forge_allowed", in: image, proto: "ALFRED") { try image.admitForge(on: "ALFRED", selector: "grow") }
        }
    }

    @Test func theFinetuneBudgetRefusesThroughTheGovernor() async throws {
        try await withImage { image, _ in
            try image.admitFinetune(of: "BRICK", startedToday: 3)
            let spent = try await expectVeto("finetunes_per_day", in: image, proto: "BRICK", author: .strategic) {
                try image.admitFinetune(of: "BRICK", startedToday: 4)
            }
            #expect(spent?.veto.subject == "finetune" && spent?.veto.evidence["budget"] == 4)
            try await expectVeto("finetune_allowed", in: image, proto: "ALFRED") { try image.admitFinetune(of: "ALFRED", startedToday: 0) }
        }
    }

    @Test func theRulesInForceAreDescribedWithTheirPaths() async throws {
        try await withImage { image, _ in
            let rules = GovernanceRules.inForce(codex: image.memory.proto(named: "ALFRED")?.codex)
            let keys = rules.map(\.key)
            for key in ["protected_slots", "verified_slots", "forbidden_primitives", "forbidden_python", "max_method_bytes", "forge_allowed",
                        "forge_attempts_per_hour", "finetune_allowed", "finetunes_per_day", "ascension_allowed", "allowed_model_families",
                        "model_fits_vram_budget", "model_known", "system_prompt_names_persona", "ascension_policy"] {
                #expect(keys.contains(key), "\(key) is not shown")
            }
            let byKey = Dictionary(uniqueKeysWithValues: rules.map { ($0.key, $0) })
            #expect(byKey["protected_slots"]?.value == ["codex", "model"] && byKey["protected_slots"]?.setByCodex == true)
            #expect(byKey["system_prompt_names_persona"]?.paths.contains(GovernanceRules.PathName.amendment) == true)
            #expect(byKey["model_fits_vram_budget"]?.paths.contains(GovernanceRules.PathName.modelAdmission) == true)
            #expect(byKey["forge_attempts_per_hour"]?.value == 10)
            // A rule the codex leaves out is shown with its default.
            #expect(GovernanceRules.inForce(codex: nil).allSatisfy { !$0.setByCodex })
        }
    }
}
