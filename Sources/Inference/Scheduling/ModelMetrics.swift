/// Counters of the model layer: loads, unloads, load time, calls and tokens (``ModelManager/metrics()``).
public struct ModelMetrics: Sendable, Hashable {
    /// Counters for one model.
    public struct PerModel: Sendable, Hashable {
        public var loads = 0
        public var unloads = 0
        public var calls = 0
        public var promptTokens = 0
        public var cachedPromptTokens = 0
        public var completionTokens = 0
        public var loadTime = Duration.zero
        /// Last measured VRAM size in bytes.
        public var bytes: Int64 = 0
    }

    public var loads = 0
    public var unloads = 0
    /// Unloads made to fit another model (subset of ``unloads``).
    public var evictions = 0
    public var totalLoadTime = Duration.zero
    public var calls = 0
    public var failedCalls = 0
    public var promptTokens = 0
    /// Prompt tokens served from the servers' prompt caches (where they say; see ``TokenUsage``).
    public var cachedPromptTokens = 0
    public var completionTokens = 0
    /// Bytes resident now, over all managed servers.
    public var residentBytes: Int64 = 0
    /// The most bytes ever resident at once on one server.
    public var peakResidentBytes: Int64 = 0
    /// Models resident now, by server.
    public var resident: [String: [String]] = [:]
    public var perModel: [String: PerModel] = [:]

    public init() {}

    /// The share of prompt tokens served from a prompt cache (0…1), nil before any prompt.
    public var promptCacheShare: Double? {
        promptTokens > 0 ? Double(cachedPromptTokens) / Double(promptTokens) : nil
    }
}
