/// Counts, sizes, index state and embedding model of a scrapbook, as `a4ps memory stats` shows them.
public struct ScrapbookStats: Sendable, Hashable {
    public var memoryCount: Int
    public var countsBySource: [MemorySource: Int]
    /// Distinct ingested documents.
    public var documentCount: Int
    /// UTF-8 bytes of all memory texts.
    public var textBytes: Int
    /// Bytes of all stored vectors (every model).
    public var vectorBytes: Int
    /// The model and dimension the stored vectors and the index are in; nil before the first add.
    public var embeddingModel: String?
    public var embeddingDimension: Int?
    /// The model the current embedder uses.
    public var embedderModel: String
    /// True when the embedder's model differs from the stored one: run `reembed()`.
    public var needsReembedding: Bool
    /// Memories without a vector of the embedder's model (all of them after a model change).
    public var memoriesNeedingEmbedding: Int
    public var index: IndexReport
}
