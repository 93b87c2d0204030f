/// A search request: text and/or a query vector, the mode, filters, a limit and optionally how many IVF partitions to probe.
public struct MemoryQuery: Sendable, Hashable {
    /// The words to look for; embedded through the scrapbook's embedder for vector search when
    /// no ``vector`` is given.
    public var text: String?
    /// A query embedding computed by the caller (must have the scrapbook's dimension).
    public var vector: [Float]?
    public var mode: SearchMode
    public var filter: MemoryFilter
    /// The most hits to return (at least 1).
    public var limit: Int
    /// How many IVF partitions to probe (nil: the configured default); ignored while the
    /// scrapbook is small enough for exact search.
    public var nprobe: Int?

    public init(
        text: String? = nil, vector: [Float]? = nil, mode: SearchMode = .hybrid,
        filter: MemoryFilter = MemoryFilter(), limit: Int = 10, nprobe: Int? = nil
    ) {
        self.text = text
        self.vector = vector
        self.mode = mode
        self.filter = filter
        self.limit = limit
        self.nprobe = nprobe
    }
}
