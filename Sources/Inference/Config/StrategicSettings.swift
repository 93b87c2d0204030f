/// `[strategic]`: the strategic loop — ALFRED's Oracle, the golden dataset, fine-tuning.
public struct StrategicSettings: Sendable, Hashable {
    /// `score_deliberations` — whether ALFRED's Oracle scores every finished deliberation (on
    /// demand it always can: `a4ps oracle score RUN`). Default true.
    public var scoreDeliberations = true
    /// `golden_threshold` — the Oracle's overall score (1–5) at or above which an interaction
    /// yields golden examples. Default 4.5.
    public var goldenThreshold = 4.5

    public init() {}
}
