/// `[motivator]`: the autotelic drive's thresholds (the seeds' keys).
public struct MotivatorSettings: Sendable, Hashable {
    /// `dissonance_threshold` — dissonance in [0,1] above which `cognitive_dissonance` is emitted. Default 0.8.
    public var dissonanceThreshold = 0.8
    /// `curiosity_interval_seconds` — how often memory is reviewed for gaps. Default 3600.
    public var curiosityIntervalSeconds = 3600

    public init() {}
}
