/// One progress report of a pull or create.
public struct PullProgress: Sendable, Hashable {
    public var status: String
    public var digest: String?
    public var total: Int64?
    public var completed: Int64?

    public init(status: String, digest: String? = nil, total: Int64? = nil, completed: Int64? = nil) {
        self.status = status
        self.digest = digest
        self.total = total
        self.completed = completed
    }

    /// Fraction done in [0, 1], when the server reported sizes.
    public var fraction: Double? {
        guard let total, total > 0 else { return nil }
        return min(1, Double(completed ?? 0) / Double(total))
    }

    /// Whether this is the last report of a successful operation.
    public var isSuccess: Bool { status == "success" }
}
