import Foundation

extension Image {
    /// The rules the governor applies now (ALFRED's codex).
    public var governanceRules: GovernanceRules { GovernanceRules(in: memory.snapshot()) }

    /// Lets `resolver` tell the governor about models (the runtime does, from its model servers and
    /// registered adapters). Without one, every loop's rebinding of a persona's model is refused
    /// as an unknown model.
    public func useModelFacts(_ resolver: any ModelFactsResolver) {
        memory.modelFacts.withLock { $0 = resolver }
    }

    /// What the governor would refuse if `clone` were swapped in by `author` now — a dry run for
    /// the forge and the debugger, which tell a persona the rule its candidate breaks before
    /// offering it; the commit itself checks again. Model facts are not asked for: a rebinding's
    /// model rules are checked at the commit.
    public func governorVetoes(swapping clone: Proto, author: ChangeAuthor) -> [Governor.Veto] {
        let protos = memory.snapshot()
        let proposal = Governor.Proposal(proto: clone.name, path: .swap, author: author,
                                         deltas: ObjectMemory.deltas(from: protos[clone.name], to: clone))
        let models = Dictionary(uniqueKeysWithValues: Governor.modelQueries(proposal).map { ($0, ModelLookup.unknown(reason: "not asked in a dry run")) })
        return Governor.vetoes(proposal, rules: GovernanceRules(in: protos), models: models)
            .filter { $0.rule != "model_known" }
    }

    /// Asks the governor whether the strategic loop may start a fine-tune of `persona` now, with
    /// `startedToday` jobs started in the last 24 hours; a refusal is recorded in the audit trail,
    /// published as a veto and thrown. Not inside a transaction on the image file (see
    /// ``refuse(_:)``).
    public func admitFinetune(of persona: String, startedToday: Int) throws(ImageError) {
        try memory.governor.admitFinetune(of: persona, startedToday: startedToday, rules: governanceRules)
    }

    /// Records `vetoes` (the refusal of a pure check such as ``Governor/finetuneVeto(of:startedToday:rules:)``)
    /// in the audit trail, publishes them and answers the error that names the first: for a
    /// check made inside a transaction of the caller's own on the image file, which must end
    /// before the refusal can be written (GRDB's writes are not reentrant).
    public func refuse(_ vetoes: [Governor.Veto]) -> ImageError {
        memory.governor.refuse(vetoes)
    }

    /// Asks the governor whether the forge may start growing `selector` on `proto` now
    /// (`forge_allowed`, `forge_attempts_per_hour`) and counts the forge when it may; a refusal is
    /// recorded in the audit trail, published as a veto and thrown. Every forge starts with it.
    public func admitForge(on proto: String, selector: String, at date: Date = Date()) throws(ImageError) {
        try memory.governor.admitForge(on: proto, selector: selector, rules: governanceRules, at: date)
    }

    /// How many forges started in the hour before `date` (the ledger `forge_attempts_per_hour` counts).
    public func forgesStarted(inHourBefore date: Date = Date()) throws(ImageError) -> Int {
        try memory.store.spent("forge", since: date.addingTimeInterval(-Governor.forgeWindow))
    }

    /// Asks the governor whether `author` (the strategic or philosophical loop) may bind `persona`
    /// to `model` — before pulling or registering it: the model must be known, of an allowed
    /// family, and fit the VRAM budget. `facts` are the caller's (a catalog's, for a model not
    /// pulled yet); without them the model-facts resolver is asked. A refusal is recorded in the
    /// audit trail, published as a veto and thrown; answers the facts admitted.
    @discardableResult
    public func admitModel(_ model: String, for persona: String, facts: ModelFacts? = nil,
                           author: ChangeAuthor = .ascension) async throws(ImageError) -> ModelFacts {
        let lookup: ModelLookup
        if let facts {
            lookup = .known(facts)
        } else if let resolver = memory.modelFacts.withLock({ $0 }) {
            lookup = await resolver.facts(about: model, for: persona)
        } else {
            lookup = .unknown(reason: "this image was opened without a4ps's runtime, whose model servers tell the governor about models")
        }
        let vetoes = Governor.modelVetoes(name: model, persona: persona, lookup: lookup, rules: governanceRules, author: author)
        guard vetoes.isEmpty, case .known(let admitted) = lookup else { throw memory.governor.refuse(vetoes) }
        return admitted
    }

    /// The governor's audit trail, oldest first: the last `limit` refusals, optionally of one
    /// proto and one subject (`slot:NAME`, `method:SELECTOR`, `codex`, `finetune`).
    public func vetoes(proto: String? = nil, subject: String? = nil, limit: Int = 100) throws(ImageError) -> [VetoRecord] {
        try memory.store.vetoes(proto: proto, subject: subject, limit: limit)
    }
}
