/// `[memory]`: where the scrapbook lives (the seeds' keys).
public struct MemorySettings: Sendable, Hashable {
    /// `db_path` — a separate scrapbook database; unset (default) keeps the scrapbook inside the image file.
    public var dbPath: String? = nil
    /// `table_name` — the scrapbook's table name. Default `a4ps_scrapbook`.
    public var tableName = "a4ps_scrapbook"

    public init() {}
}
