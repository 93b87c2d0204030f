import Foundation
import Testing
@testable import LivingImage

/// The model rules: the strategic and philosophical loops bind a persona only to a model the
/// runtime knows, of a family `allowed_model_families` admits, that fits the VRAM budget; the
/// check is also made before a model is pulled; the Architect binds what he likes; a method binds
/// nothing.
@Suite struct GovernorModelRuleTests {
    static let facts = TableModelFacts([
        modelFacts("phi3:mini-4k-instruct", family: "phi3", gb: 2.5),
        modelFacts("llama3.1:8b-instruct", family: "llama", gb: 5),
        modelFacts("llama3.1:70b-instruct", family: "llama", gb: 40),
        modelFacts("gemma2:9b-instruct", family: "gemma2", gb: 5.5),
        modelFacts("phi3-served-by-vllm", family: nil, gb: nil),
        ModelFacts(model: "brick-golden-3", baseModel: "phi3:mini-4k-instruct", family: "phi3", sizeBytes: 2_600_000_000,
                   budgetBytes: 8_000_000_000, server: "the test server"),
    ])

    @Test(arguments: [ChangeAuthor.strategic, .ascension])
    func aLoopBindsOnlyAKnownModelOfAnAllowedFamilyThatFits(_ author: ChangeAuthor) async throws {
        try await withImage { image, _ in
            image.useModelFacts(Self.facts)
            try await amendGovernance(image) { $0["allowed_model_families"] = ["phi", "llama"] }

            let family = try await expectVeto("allowed_model_families", in: image, proto: "BRICK", author: author) {
                try await rebind(image, "BRICK", to: "gemma2:9b-instruct", author: author)
            }
            #expect(family?.veto.evidence["family"] == "gemma2" && family?.veto.evidence["allowed"] == ["phi", "llama"])
            #expect(family?.veto.evidence["path"] == "swap" && family?.veto.subject == "slot:model")
            let size = try await expectVeto("model_fits_vram_budget", in: image, author: author) {
                try await rebind(image, "BRICK", to: "llama3.1:70b-instruct", author: author)
            }
            #expect(size?.veto.description.contains("40 GB") == true && size?.veto.description.contains("8 GB") == true)
            #expect(size?.veto.evidence["size_bytes"] == 40_000_000_000 && size?.veto.evidence["budget_bytes"] == 8_000_000_000)
            let unknown = try await expectVeto("model_known", in: image, author: author) {
                try await rebind(image, "BRICK", to: "nobody:1b", author: author)
            }
            #expect(unknown?.veto.description.contains("no server of the test has it") == true)
            try await expectVeto("model_fits_vram_budget", in: image, author: author) {
                try await rebind(image, "BRICK", to: "phi3-served-by-vllm", author: author)
            }

            // What keeps the rules passes: the adapter (facts of its base), the base model, another allowed family.
            for model in ["brick-golden-3", "phi3:mini-4k-instruct", "llama3.1:8b-instruct"] {
                try await rebind(image, "BRICK", to: model, author: author)
                #expect(image.memory.proto(named: "BRICK")?.slots["model"] == .string(model))
                #expect(try image.history(proto: "BRICK", limit: 1).last?.author == author)
            }
            // A persona the loop may not rebind is refused whatever the model.
            try await expectVeto(author == .strategic ? "finetune_allowed" : "ascension_allowed", in: image, proto: "ALFRED") {
                try await rebind(image, "ALFRED", to: "phi3:mini-4k-instruct", author: author)
            }
        }
    }

    @Test func theRulesAreSwitchedInTheCodex() async throws {
        try await withImage { image, _ in
            image.useModelFacts(Self.facts)
            // The genesis codex admits any family, but only models that fit.
            #expect(image.governanceRules.allowedModelFamilies.isEmpty && image.governanceRules.modelFitsVRAMBudget)
            try await rebind(image, "ROBIN", to: "gemma2:9b-instruct", author: .strategic)
            try await expectVeto("model_fits_vram_budget", in: image) {
                try await rebind(image, "ROBIN", to: "llama3.1:70b-instruct", author: .strategic)
            }
            try await amendGovernance(image) { $0["model_fits_vram_budget"] = false }
            try await rebind(image, "ROBIN", to: "llama3.1:70b-instruct", author: .strategic)
            // An unknown model is refused whatever the codex says.
            try await expectVeto("model_known", in: image) { try await rebind(image, "ROBIN", to: "nobody:1b", author: .ascension) }
        }
    }

    @Test func theArchitectBindsWhatHeLikesAndAMethodNothing() async throws {
        try await withImage { image, _ in
            image.useModelFacts(Self.facts)
            try await amendGovernance(image) { $0["allowed_model_families"] = ["phi"] }
            try await image.setSlot("model", of: "BABS", to: "llama3.1:70b-instruct", author: .architect)
            try await image.setSlot("model", of: "BABS", to: "a-model-nobody-knows", author: .architect)
            #expect(try image.slot("model", of: "BABS") == "a-model-nobody-knows")

            try await image.defineMethod("rebind", on: "BABS", source: "self:set('model', 'phi3:mini-4k-instruct') return 1")
            try await expectVeto("protected_slots", in: image, proto: "BABS") { _ = try await image.send("BABS", "rebind") }
            try await expectVeto("protected_slots", in: image, author: .system) {
                try await rebind(image, "BABS", to: "phi3:mini-4k-instruct", author: .system)
            }
            // Neither the forge nor the debugger rebinds a persona.
            for author in [ChangeAuthor.forge, .debugger] {
                try await expectVeto("protected_slots", in: image, author: author) {
                    try await rebind(image, "BABS", to: "phi3:mini-4k-instruct", author: author)
                }
            }
        }
    }

    @Test func withoutTheRuntimeEveryLoopRebindingIsRefused() async throws {
        try await withImage { image, _ in
            let refused = try await expectVeto("model_known", in: image) {
                try await rebind(image, "BRICK", to: "phi3:mini-4k-instruct", author: .strategic)
            }
            #expect(refused?.veto.description.contains("without a4ps's runtime") == true)
            #expect(image.memory.proto(named: "BRICK")?.slots["model"] == nil)
        }
    }

    @Test func aCandidateIsJudgedBeforeItIsPulled() async throws {
        try await withImage { image, _ in
            let rules = image.governanceRules
            let big = modelFacts("gemma-27b", family: "gemma3", gb: 17)
            let small = modelFacts("gemma-3-270m-q4_k_m", family: nil, gb: 0.25)
            // The pure check, for a dry run.
            #expect(Governor.modelVeto(name: big.model, persona: "BRICK", facts: big, rules: rules)?.rule == "model_fits_vram_budget")
            #expect(Governor.modelVeto(name: small.model, persona: "BRICK", facts: small, rules: rules) == nil)
            #expect(Governor.modelVeto(name: "x", persona: "BRICK", facts: nil, rules: rules)?.rule == "model_known")

            // The admission records and publishes its refusal, and changes nothing else.
            let refused = try await expectVeto("model_fits_vram_budget", in: image, proto: "BRICK", author: .ascension) {
                try await image.admitModel(big.model, for: "BRICK", facts: big)
            }
            #expect(refused?.veto.evidence["model"] == "gemma-27b")
            #expect(try await image.admitModel(small.model, for: "BRICK", facts: small) == small)

            // Without facts of its own, the admission asks the runtime's resolver.
            try await expectVeto("model_known", in: image) { try await image.admitModel("gemma2:9b-instruct", for: "BRICK") }
            image.useModelFacts(Self.facts)
            #expect(try await image.admitModel("gemma2:9b-instruct", for: "BRICK").sizeBytes == 5_500_000_000)
            try await amendGovernance(image) { $0["allowed_model_families"] = ["smollm", "gemma"] }
            #expect(try await image.admitModel(small.model, for: "BRICK", facts: small).model == small.model)
            try await expectVeto("allowed_model_families", in: image) {
                try await image.admitModel("llama3.1:8b-instruct", for: "BRICK", author: .strategic)
            }
        }
    }

    @Test func aFamilyMatchesByFamilyOrByTheBeginningOfTheName() {
        let hub = ModelFacts(model: "hf.co/bartowski/Gemma-3-1B-GGUF:Q4_K_M", family: nil, sizeBytes: 1, budgetBytes: 2, server: "s")
        #expect(Governor.isOfAllowedFamily(hub, ["gemma"]))
        #expect(Governor.isOfAllowedFamily(modelFacts("mistral:7b", family: "llama", gb: 1), ["mistral"]))
        #expect(Governor.isOfAllowedFamily(modelFacts("mistral:7b", family: "llama", gb: 1), ["LLAMA"]))
        #expect(!Governor.isOfAllowedFamily(modelFacts("mistral:7b", family: "llama", gb: 1), ["phi", ""]))
    }
}
