/// The state of the vector index after a (re)build: its kind, size, balance and how long training took.
public struct IndexReport: Sendable, Hashable {
    /// How vector search runs.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Nothing is embedded yet.
        case empty
        /// Every query scans every vector (below the exact-search threshold).
        case exact
        /// Queries probe the nearest k-means partitions and re-rank their vectors exactly.
        case ivf
    }

    public var kind: Kind
    public var vectorCount: Int
    public var partitionCount: Int
    /// Partitions a query probes by default.
    public var nprobe: Int
    public var smallestPartition: Int
    public var largestPartition: Int
    /// Largest partition ÷ mean partition size (1 is perfect balance).
    public var imbalance: Double
    /// Vectors the centroids were trained on (0 when exact).
    public var trainedOn: Int
    /// Wall-clock seconds of the training that produced this report (0 when none ran).
    public var trainingSeconds: Double
    /// Bytes the in-memory index holds (vectors, ids, filter attributes, centroids); 0 while not loaded.
    public var memoryBytes: Int
    /// Whether the index is in memory; when not, the report was read from the file (the first
    /// vector search loads the index: see ``Scrapbook/loadIndexIfNeeded()``).
    public var loaded: Bool = true
}
