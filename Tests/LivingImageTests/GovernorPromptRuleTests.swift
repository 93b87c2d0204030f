import Foundation
import Testing
@testable import LivingImage

/// `system_prompt_names_persona`: whoever changes a codex — the Architect's edit, the approval of
/// an amendment, a rollback, a new proto — leaves every persona's system prompt naming it; the
/// other paths may not change a codex at all, and the audit trail says both.
@Suite struct GovernorPromptRuleTests {
    static let unnamed = "You are the logical analyst of a four-persona system."

    @Test func theArchitectMayEditACodexButNotUnnameItsPersona() async throws {
        try await withImage { image, _ in
            for kind in ["swap", "amendment"] {
                let refused = try await expectVeto("system_prompt_names_persona", in: image, proto: "BRICK", author: .architect) {
                    try await editCodex(image, "BRICK", author: .architect, kind: kind) { $0["system_prompt"] = .string(Self.unnamed) }
                }
                #expect(refused?.veto.subject == "codex" && refused?.veto.evidence["name"] == "BRICK")
                #expect(refused?.veto.evidence["system_prompt"] == .string(Self.unnamed))
                #expect(refused?.veto.description.contains("keep \"BRICK\" in it") == true)
            }
            try await expectVeto("system_prompt_names_persona", in: image) {
                try await editCodex(image, "BRICK", author: .architect) { $0["system_prompt"] = nil }
            }
            try await expectVeto("system_prompt_names_persona", in: image) {
                try await editCodex(image, "BRICK", author: .architect) { $0["system_prompt"] = "You are BRICKLAYER, a builder." }
            }
            // Keeping the name (in any case) passes, and so does any other change to the codex.
            try await editCodex(image, "BRICK", author: .architect) { $0["system_prompt"] = "You are Brick: blunt, rigorous, absurd." }
            try await editCodex(image, "BRICK", author: .architect, kind: "amendment") { $0["motto"] = "Rigor first." }
            #expect(image.memory.proto(named: "BRICK")?.codex["motto"] == "Rigor first.")
        }
    }

    @Test func theOtherPathsCannotChangeACodexAndTheAuditSaysWhy() async throws {
        try await withImage { image, _ in
            for author in [ChangeAuthor.forge, .debugger, .strategic, .ascension, .system] {
                let events = image.events.subscribe()
                try await expectVeto("protected_slots", in: image, proto: "ROBIN", author: author) {
                    try await editCodex(image, "ROBIN", author: author) { $0["system_prompt"] = "You are a helpful assistant." }
                }
                // The same refusal also names the identity rule it breaks, in the error, the audit and the events.
                let last = try image.vetoes(proto: "ROBIN", limit: 2).map(\.veto.rule)
                #expect(last == ["protected_slots", "system_prompt_names_persona"])
                _ = await readEvents(events, "both vetoes published") { event in
                    if case .governorVeto(let veto) = event { return veto.rule == "system_prompt_names_persona" }
                    return false
                }
            }
            // A method writes no codex, whatever it puts in it.
            try await image.defineMethod("rename", on: "ROBIN", source: "self:set('codex', {name = 'ROBIN', system_prompt = 'You are nobody.'}) return 1")
            let method = try await expectVeto("protected_slots", in: image, proto: "ROBIN") { _ = try await image.send("ROBIN", "rename") }
            #expect(method?.veto.subject == "slot:codex" && method?.veto.evidence["path"] == "method")
            #expect(method?.veto.evidence["attempted"]?["system_prompt"] == "You are nobody.")
        }
    }

    @Test func aNewProtoNamesItselfOrItsOriginal() async throws {
        try await withImage { image, _ in
            let stranger = Proto(name: "CARL", parent: "Persona", codex: ["role": "x", "system_prompt": .string(Self.unnamed)])
            try await expectVeto("system_prompt_names_persona", in: image, proto: "CARL") {
                try await image.memory.create(stranger, author: .architect, reason: "a persona without a name")
            }
            #expect(image.memory.proto(named: "CARL") == nil)
            // A clone keeps its original's name in its codex, and its prompt names that.
            let brick = try #require(image.memory.proto(named: "BRICK"))
            let clone = Proto(name: "BRICK_CANDIDATE", parent: brick.parent, slots: brick.slots, methods: brick.methods, codex: brick.codex)
            try await image.memory.create(clone, author: .architect, reason: "a clone for a trial")
            // A proto without a system prompt is not a persona: the rule does not apply.
            try await image.memory.create(Proto(name: "Notes", codex: ["role": "notes"]), author: .architect, reason: "not a persona")
        }
    }

    @Test func aRollbackCannotRestoreAnUnnamedPrompt() async throws {
        try await withImage { image, _ in
            try await amendGovernance(image) { $0["system_prompt_names_persona"] = false }
            try await editCodex(image, "BABS", author: .architect) { $0["system_prompt"] = .string(Self.unnamed) }
            let unnamed = try #require(try image.history(proto: "BABS", subject: "codex", limit: 1).last)
            try await editCodex(image, "BABS", author: .architect) { $0["system_prompt"] = "You are BABS, again." }
            try await amendGovernance(image) { $0["system_prompt_names_persona"] = true }

            let refused = try await expectVeto("system_prompt_names_persona", in: image, proto: "BABS", author: .architect) {
                try await image.rollback("BABS", toChange: unnamed.id)
            }
            #expect(refused?.veto.evidence["path"] == "rollback")
            #expect(image.memory.proto(named: "BABS")?.codex["system_prompt"] == "You are BABS, again.")
        }
    }

    @Test func theRuleGuardsAlfredsOwnCodexUntilItIsSwitchedOff() async throws {
        try await withImage { image, _ in
            // Switching the rule off and unnaming ALFRED in one change: the rules in force judge it.
            try await expectVeto("system_prompt_names_persona", in: image, proto: "ALFRED") {
                try await editCodex(image, "ALFRED", author: .architect) { codex in
                    var governance = codex["governance"]?.objectValue ?? [:]
                    governance["system_prompt_names_persona"] = false
                    codex["governance"] = .object(governance)
                    codex["system_prompt"] = "You are the supervisor."
                }
            }
            #expect(image.governanceRules.systemPromptNamesPersona)
            try await amendGovernance(image) { $0["system_prompt_names_persona"] = false }
            try await editCodex(image, "ALFRED", author: .architect) { $0["system_prompt"] = "You are the supervisor." }
            #expect(image.memory.proto(named: "ALFRED")?.codex["system_prompt"] == "You are the supervisor.")
        }
    }

    @Test func aNameIsAWordOfItsOwn() {
        #expect(Governor.names("You are BRICK, the analyst.", "BRICK"))
        #expect(Governor.names("brick: that is you", "BRICK"))
        #expect(!Governor.names("You are BRICKLAYER.", "BRICK"))
        #expect(Governor.names("BRICKLAYER or BRICK", "BRICK"))
        #expect(!Governor.names("", "BRICK"))
    }
}
