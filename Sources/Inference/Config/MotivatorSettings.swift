/// `[motivator]`: the autotelic drive — its thresholds (the seeds' keys) and the Architect's
/// budget for the goals it sets itself.
public struct MotivatorSettings: Sendable, Hashable {
    /// `enabled` — `false` stops all of it: no goal is queued, none runs, no curiosity review. Default true.
    public var enabled = true
    /// `dissonance_threshold` — dissonance in [0,1] above which `cognitive_dissonance` is emitted. Default 0.8.
    public var dissonanceThreshold = 0.8
    /// `curiosity_interval_seconds` — how often memory is reviewed for gaps. Default 3600.
    public var curiosityIntervalSeconds = 3600
    /// `goals_per_hour` — goals that may start in any hour; more wait (deferred). Default 6.
    public var goalsPerHour = 6
    /// `model_seconds_per_day` — seconds goals may run (and use the models) in any 24 hours. Default 1800.
    public var modelSecondsPerDay = 1800.0
    /// `goals_may_forge` — whether a goal may forge a missing method. Default true.
    public var goalsMayForge = true
    /// `goals_may_finetune` — whether a goal may start a fine-tune or an ascension evaluation. Default false.
    public var goalsMayFinetune = false
    /// `quiet_hours` — `"22-7"`: hours (local time) in which no goal starts. Default none.
    public var quietHours: QuietHours?

    public init() {}
}

/// Hours of the day (local time) from `from` until `until`, wrapping past midnight (`22-7`).
public struct QuietHours: Sendable, Hashable, CustomStringConvertible {
    public var from: Int
    public var until: Int

    public init(from: Int, until: Int) {
        self.from = from
        self.until = until
    }

    public func contains(hour: Int) -> Bool {
        from < until ? (from..<until).contains(hour) : (hour >= from || hour < until)
    }

    public var description: String { "\(from):00–\(until):00" }
}
