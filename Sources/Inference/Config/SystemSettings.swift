/// `[system]`: process-wide settings (the seeds' keys).
public struct SystemSettings: Sendable, Hashable {
    /// `image_path` — the image file (SQLite). Default `./a4ps.image`.
    public var imagePath = "./a4ps.image"
    /// `history_keep_days` — how many days of the change log `a4ps image compact` keeps (and
    /// `a4ps serve` keeps, compacting once a day); nil (the default, key absent): the whole log.
    /// Each proto's latest change and what rollbacks and proposals still need stay either way.
    public var historyKeepDays: Int?

    public init() {}
}
