/// `[philosophical]`: the codex amendments the Architect reviews (`a4ps proposals`).
public struct PhilosophicalSettings: Sendable, Hashable {
    /// `proposal_lifetime_days` — how long a codex amendment proposal waits for the Architect before
    /// it expires (and then changes nothing). Default 7.
    public var proposalLifetimeDays = 7.0

    public init() {}
}
