/// Tunes the Scrapbook: when to switch from exact to IVF search, how to train and probe the index, batch sizes and size limits.
public struct ScrapbookConfiguration: Sendable, Hashable {
    /// Below this many vectors, vector search scans them all (exact); from it on, an IVF index is trained.
    public var exactSearchThreshold: Int = 10_000
    /// IVF partitions; nil picks √n (at least 16) when training.
    public var partitionCount: Int?
    /// IVF partitions probed per query; nil picks 5% of the partitions, at least 8 and at most 32
    /// (on the synthetic benchmark: recall@10 ≈ 0.96 at 100,000 vectors, ≈ 0.99 at 1,000,000).
    public var nprobe: Int?
    /// Texts per embedder call.
    public var embeddingBatchSize: Int = 64
    /// Retrain when the largest partition holds more than this many times the mean.
    public var maxImbalance: Double = 4.0
    /// Retrain when the index holds this many times the vectors it was trained on.
    public var retrainGrowthFactor: Double = 2.0
    /// Retrain automatically (inside the `add` that crosses a threshold) instead of only on `reindex()`.
    public var automaticRetraining: Bool = true
    /// k-means trains on at most this many vectors per partition (a deterministic sample).
    public var trainingSamplesPerPartition: Int = 64
    /// Lloyd iterations of k-means.
    public var kMeansIterations: Int = 16
    /// Seed of every random choice in training: the same vectors give the same index.
    public var seed: UInt64 = 0x5C4A_B00C
    /// Passage size and overlap for document ingestion.
    public var passages = PassageSplitter.Options()
    /// The largest single memory text in bytes; longer texts must go through document ingestion.
    public var maxMemoryBytes: Int = 64 * 1024
    /// The largest document in bytes that ingestion accepts (it is split into passages below that).
    public var maxDocumentBytes: Int = 32 * 1024 * 1024

    public init() {}

    func validated() throws -> ScrapbookConfiguration {
        func check(_ ok: Bool, _ what: String) throws {
            if !ok { throw ScrapbookError(.invalidArgument, "invalid Scrapbook configuration: \(what)") }
        }
        try check(exactSearchThreshold >= 1, "exactSearchThreshold must be at least 1")
        try check((partitionCount ?? 1) >= 1, "partitionCount must be at least 1")
        try check((nprobe ?? 1) >= 1, "nprobe must be at least 1")
        try check(embeddingBatchSize >= 1, "embeddingBatchSize must be at least 1")
        try check(maxImbalance > 1, "maxImbalance must be above 1")
        try check(retrainGrowthFactor > 1, "retrainGrowthFactor must be above 1")
        try check(trainingSamplesPerPartition >= 1, "trainingSamplesPerPartition must be at least 1")
        try check(kMeansIterations >= 1, "kMeansIterations must be at least 1")
        try check(maxMemoryBytes >= 1 && maxDocumentBytes >= 1, "size limits must be positive")
        try passages.validate()
        return self
    }

    /// The number of partitions to train for `count` vectors.
    func partitions(for count: Int) -> Int {
        let wanted = partitionCount ?? max(16, Int(Double(count).squareRoot().rounded()))
        return max(1, min(wanted, count))
    }

    /// The number of partitions to probe among `partitions`.
    func probes(for partitions: Int, requested: Int?) -> Int {
        let wanted = requested ?? nprobe ?? min(32, max(8, Int((Double(partitions) * 0.05).rounded(.up))))
        return max(1, min(wanted, partitions))
    }
}
