import Foundation

/// The model rules: a loop (strategic, philosophical) binds a persona only to a model that is
/// known, of a family `allowed_model_families` admits, and within the VRAM budget of the server
/// that would run it (`model_fits_vram_budget`). The Architect's own bindings are his to judge.
extension Governor {
    /// A model a change binds a persona to: whose facts the governor needs.
    public struct ModelQuery: Sendable, Hashable {
        public var model: String
        public var persona: String

        public init(model: String, persona: String) {
            self.model = model
            self.persona = persona
        }
    }

    /// Why `author` may not bind `persona` to `name`, given what is known of it (`lookup`);
    /// empty when it may. Publishes nothing: a check to make before pulling a model.
    public static func modelVetoes(name: String, persona: String, lookup: ModelLookup, rules: GovernanceRules,
                                   author: ChangeAuthor = .ascension) -> [Veto] {
        let keeper = GovernanceRules.keeper
        let loop = author == .strategic ? "the strategic loop" : author == .ascension ? "the philosophical loop" : "the \(author.rawValue)"
        func veto(_ rule: String, _ message: String, _ evidence: JSONValue) -> Veto {
            Veto(rule: rule, proto: persona, subject: "slot:" + GovernanceRules.modelSlot, author: author,
                 description: "\(loop) may not bind \(persona) to \(name): " + message, evidence: evidence)
        }
        let facts: ModelFacts
        switch lookup {
        case .known(let known):
            facts = known
        case .unknown(let reason):
            return [veto("model_known", "the model is unknown (\(reason)), so the governor cannot tell its family nor whether it fits "
                            + "the VRAM budget — pull it or register the adapter first (`a4ps models pull NAME`), or check the name",
                         ["model": .string(name), "reason": .string(reason)])]
        }
        var vetoes: [Veto] = []
        if !rules.allowedModelFamilies.isEmpty, !isOfAllowedFamily(facts, rules.allowedModelFamilies) {
            let family = facts.family.map { "its family is \($0)" } ?? "its server reports no family and its name matches none"
            var evidence = facts.json.objectValue ?? [:]
            evidence["allowed"] = .array(rules.allowedModelFamilies.map { .string($0) })
            vetoes.append(veto("allowed_model_families", "\(family), not one of \(rules.allowedModelFamilies.joined(separator: ", ")) "
                                + "(allowed_model_families in \(keeper)'s codex): choose a model of an allowed family, or have the "
                                + "Architect admit the family (`a4ps codex propose \(keeper)`)", .object(evidence)))
        }
        if rules.modelFitsVRAMBudget {
            let budget = gigabytes(facts.budgetBytes)
            if let size = facts.sizeBytes, size > facts.budgetBytes {
                vetoes.append(veto("model_fits_vram_budget", "it needs \(gigabytes(size)) of GPU memory and the VRAM budget of \(facts.server) "
                                    + "is \(budget) (model_fits_vram_budget in \(keeper)'s codex; the budget is [scheduler] vram_gb, or the "
                                    + "server's own vram_gb, in config.toml): choose a smaller model or quantization", facts.json))
            } else if facts.sizeBytes == nil {
                vetoes.append(veto("model_fits_vram_budget", "\(facts.server) does not report its size, so the governor cannot tell it fits "
                                    + "the VRAM budget of \(budget) (model_fits_vram_budget in \(keeper)'s codex): serve it where its size "
                                    + "is known (Ollama, the embedded server), or have the Architect bind it (`a4ps slot set \(persona) model`)",
                                   facts.json))
            }
        }
        return vetoes
    }

    /// The first reason `author` may not bind `persona` to `name`, whose facts are `facts` (nil:
    /// nobody knows the model); nil when it may. For a candidate model before it is pulled.
    public static func modelVeto(name: String, persona: String, facts: ModelFacts?, rules: GovernanceRules,
                                 author: ChangeAuthor = .ascension) -> Veto? {
        let lookup: ModelLookup = facts.map { .known($0) } ?? .unknown(reason: "no facts about it were given")
        return modelVetoes(name: name, persona: persona, lookup: lookup, rules: rules, author: author).first
    }

    /// Whether an entry of `families` is the model's family or begins its name (or its base's),
    /// case-insensitive: `gemma` admits `gemma2:9b-instruct` and the family `gemma3`.
    static func isOfAllowedFamily(_ facts: ModelFacts, _ families: [String]) -> Bool {
        let names = [facts.family, facts.model, facts.baseModel].compactMap { $0 }.map { name in
            // `hf.co/org/Model-GGUF:Q4` → `model-gguf:q4`: the name is the last path component.
            (name.split(separator: "/").last.map(String.init) ?? name).lowercased()
        }
        return families.contains { family in
            let family = family.lowercased()
            return !family.isEmpty && names.contains { $0.hasPrefix(family) }
        }
    }

    /// `8 GB`, `0.27 GB` (10^9 bytes, as config.toml's vram_gb).
    static func gigabytes(_ bytes: Int64) -> String {
        let value = Double(bytes) / 1e9
        return (value >= 10 ? String(format: "%.0f", value) : String(format: "%.2g", value)) + " GB"
    }
}
