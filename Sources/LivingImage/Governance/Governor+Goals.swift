import Foundation

/// The Architect's budget for the motivator's self-set goals (`[motivator]` of config.toml), as
/// the governor checks it before a goal is queued or started.
public struct GoalBudget: Sendable, Hashable {
    /// Goals that may start in any hour (`goals_per_hour`).
    public var goalsPerHour: Int
    /// Seconds goals may run (and so use the models) in any 24 hours (`model_seconds_per_day`).
    public var modelSecondsPerDay: Double
    /// Whether a goal may forge a method (`goals_may_forge`).
    public var mayForge: Bool
    /// Whether a goal may start a fine-tune or an ascension evaluation (`goals_may_finetune`).
    public var mayFinetune: Bool
    /// Whether no goal may start now: inside the Architect's quiet hours (`quiet_hours`), with how to say them.
    public var quietNow: String?

    public init(goalsPerHour: Int, modelSecondsPerDay: Double, mayForge: Bool, mayFinetune: Bool, quietNow: String? = nil) {
        self.goalsPerHour = goalsPerHour
        self.modelSecondsPerDay = modelSecondsPerDay
        self.mayForge = mayForge
        self.mayFinetune = mayFinetune
        self.quietNow = quietNow
    }

    /// What the goals used so far: goals started in the last hour, seconds run in the last 24 hours.
    public struct Usage: Sendable, Hashable {
        public var startedLastHour: Int
        public var secondsLastDay: Double

        public init(startedLastHour: Int, secondsLastDay: Double) {
            self.startedLastHour = startedLastHour
            self.secondsLastDay = secondsLastDay
        }
    }
}

extension Governor {
    /// Why a goal of `kind` (`deliberation`, `research`, `forge`, `finetune`, `ascension`,
    /// `amendment`) may not start now under `budget` (nil when it may); publishes nothing. The
    /// motivator defers the goal with this reason and tries again when the budget allows.
    public static func goalVeto(kind: String, budget: GoalBudget, usage: GoalBudget.Usage) -> Veto? {
        func veto(_ rule: String, _ message: String) -> Veto {
            Veto(rule: rule, proto: GovernanceRules.keeper, subject: "goal:\(kind)", author: .system, description: message,
                 evidence: ["started_last_hour": .int(usage.startedLastHour), "seconds_last_day": .number(usage.secondsLastDay),
                            "goals_per_hour": .int(budget.goalsPerHour), "model_seconds_per_day": .number(budget.modelSecondsPerDay)])
        }
        if kind == "forge", !budget.mayForge {
            return veto("goals_may_forge", "the motivator's goals may not forge methods ([motivator] goals_may_forge = false in config.toml)")
        }
        if kind == "finetune" || kind == "ascension", !budget.mayFinetune {
            return veto("goals_may_finetune", "the motivator's goals may not start fine-tunes or ascensions "
                + "([motivator] goals_may_finetune = false in config.toml)")
        }
        if let quiet = budget.quietNow {
            return veto("quiet_hours", "quiet hours (\(quiet), [motivator] quiet_hours): no goal starts now")
        }
        if usage.startedLastHour >= budget.goalsPerHour {
            return veto("goals_per_hour", "\(usage.startedLastHour) goal(s) started in the last hour, the budget is \(budget.goalsPerHour) "
                + "([motivator] goals_per_hour)")
        }
        if usage.secondsLastDay >= budget.modelSecondsPerDay {
            return veto("model_seconds_per_day", "goals ran \(Int(usage.secondsLastDay)) s in the last 24 hours, the budget is "
                + "\(Int(budget.modelSecondsPerDay)) s ([motivator] model_seconds_per_day)")
        }
        return nil
    }

    /// Throws (publishing `governor.veto`) when a goal of `kind` may not start now.
    func admitGoal(kind: String, budget: GoalBudget, usage: GoalBudget.Usage) throws(ImageError) {
        if let veto = Self.goalVeto(kind: kind, budget: budget, usage: usage) { throw refuse([veto]) }
    }
}

extension Image {
    /// Asks the governor whether a motivator goal of `kind` may start now under the Architect's
    /// `budget`; a refusal is published as a veto and thrown.
    public func admitGoal(kind: String, budget: GoalBudget, usage: GoalBudget.Usage) throws(ImageError) {
        try memory.governor.admitGoal(kind: kind, budget: budget, usage: usage)
    }
}
