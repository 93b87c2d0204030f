import Foundation

/// The budgets of ALFRED's codex: how many forges may start in an hour (`forge_attempts_per_hour`,
/// counted by the governor in the image's own ledger) and how many fine-tune jobs in a day
/// (`finetunes_per_day`, counted by the strategic loop's job store, which asks in the transaction
/// that queues the job).
extension Governor {
    /// The window `forge_attempts_per_hour` counts in.
    public static let forgeWindow: TimeInterval = 3600

    /// Why a fine-tune of `persona` may not start now (nil when it may); publishes nothing.
    public static func finetuneVeto(of persona: String, startedToday: Int, rules: GovernanceRules) -> Veto? {
        let keeper = GovernanceRules.keeper
        if !rules.finetuneAllowed.contains(persona) {
            return Veto(rule: "finetune_allowed", proto: persona, subject: "finetune", author: .strategic,
                        description: "\(persona) is protected from fine-tuning (finetune_allowed in \(keeper)'s codex: "
                            + "\(rules.finetuneAllowed.sorted().joined(separator: ", "))); the Architect may admit it (`a4ps codex propose \(keeper)`)",
                        evidence: ["allowed": .array(rules.finetuneAllowed.sorted().map { .string($0) })])
        }
        if startedToday >= rules.finetunesPerDay {
            return Veto(rule: "finetunes_per_day", proto: persona, subject: "finetune", author: .strategic,
                        description: "\(startedToday) fine-tune job(s) started in the last 24 hours, the budget is \(rules.finetunesPerDay) "
                            + "(finetunes_per_day in \(keeper)'s codex): wait, or have the Architect raise it",
                        evidence: ["started": .int(startedToday), "budget": .int(rules.finetunesPerDay), "window_seconds": 86_400])
        }
        return nil
    }

    /// Why the forge may not start growing `selector` on `proto` now, `startedThisHour` forges
    /// having started in the last hour (nil when it may); publishes nothing.
    public static func forgeVeto(on proto: String, selector: String, startedThisHour: Int, rules: GovernanceRules) -> Veto? {
        let keeper = GovernanceRules.keeper
        if !rules.forgeAllowed.contains(proto) {
            return Veto(rule: "forge_allowed", proto: proto, subject: "method:" + selector, author: .forge,
                        description: "the forge may not grow methods on \(proto) (forge_allowed in \(keeper)'s codex); a person may: "
                            + "`a4ps method define \(proto) \(selector) --file METHOD.lua`",
                        evidence: ["selector": .string(selector), "allowed": .array(rules.forgeAllowed.sorted().map { .string($0) })])
        }
        if startedThisHour >= rules.forgeAttemptsPerHour {
            return Veto(rule: "forge_attempts_per_hour", proto: proto, subject: "method:" + selector, author: .forge,
                        description: "\(startedThisHour) forge(s) started in the last hour, the budget is \(rules.forgeAttemptsPerHour) "
                            + "(forge_attempts_per_hour in \(keeper)'s codex): wait, define the method yourself "
                            + "(`a4ps method define \(proto) \(selector) --file METHOD.lua`), or have the Architect raise the budget",
                        evidence: ["selector": .string(selector), "started": .int(startedThisHour), "budget": .int(rules.forgeAttemptsPerHour),
                                   "window_seconds": .int(Int(forgeWindow))])
        }
        return nil
    }

    /// Throws (recording and publishing) the veto when the strategic loop may not start a
    /// fine-tune of `persona`, `startedToday` jobs having started in the last 24 hours.
    func admitFinetune(of persona: String, startedToday: Int, rules: GovernanceRules) throws(ImageError) {
        if let veto = Self.finetuneVeto(of: persona, startedToday: startedToday, rules: rules) { throw refuse([veto]) }
    }

    /// Admits a forge of `selector` on `proto` and counts it in the ledger, in one transaction
    /// (so two processes never both spend the last forge of the hour); a refusal is recorded in
    /// the audit trail in that transaction, then published and thrown.
    func admitForge(on proto: String, selector: String, rules: GovernanceRules, at date: Date) throws(ImageError) {
        let refused: Veto? = try store.writing { db in
            let started = try store.spent("forge", since: date.addingTimeInterval(-Self.forgeWindow), in: db)
            if let veto = Self.forgeVeto(on: proto, selector: selector, startedThisHour: started, rules: rules) {
                try record([veto], at: date, in: db)
                return veto
            }
            try store.spend("forge", proto: proto, subject: "method:" + selector, at: date, in: db)
            return nil
        }
        if let refused { throw published([refused]) }
    }
}
