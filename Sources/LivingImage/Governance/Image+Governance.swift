extension Image {
    /// The rules the governor applies now (ALFRED's codex).
    public var governanceRules: GovernanceRules { GovernanceRules(in: memory.snapshot()) }

    /// What the governor would refuse if `clone` were swapped in by `author` now — a dry run for
    /// the forge and the debugger, which tell a persona the rule its candidate breaks before
    /// offering it; the commit itself checks again.
    public func governorVetoes(swapping clone: Proto, author: ChangeAuthor) -> [Governor.Veto] {
        let protos = memory.snapshot()
        let proposal = Governor.Proposal(proto: clone.name, path: .swap, author: author,
                                         deltas: ObjectMemory.deltas(from: protos[clone.name], to: clone))
        return Governor.vetoes(proposal, rules: GovernanceRules(in: protos))
    }

    /// Asks the governor whether the strategic loop may start a fine-tune of `persona` now, with
    /// `startedToday` jobs started in the last 24 hours; a refusal is published as a veto and thrown.
    public func admitFinetune(of persona: String, startedToday: Int) throws(ImageError) {
        try memory.governor.admitFinetune(of: persona, startedToday: startedToday, rules: governanceRules)
    }
}
