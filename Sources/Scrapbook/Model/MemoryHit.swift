/// One search result: the memory, its fused score and its rank in the text and vector result lists.
public struct MemoryHit: Sendable, Hashable {
    public var memory: Memory
    /// Higher is better. Text mode: the negated BM25 score; vector mode: the cosine similarity;
    /// hybrid: the reciprocal-rank-fusion score.
    public var score: Double
    /// 1-based rank among the full-text results, when the memory was among them.
    public var textRank: Int?
    /// 1-based rank among the vector results, when the memory was among them.
    public var vectorRank: Int?
    /// Cosine similarity to the query vector, when vector search ran and found this memory.
    public var similarity: Float?

    public init(
        memory: Memory, score: Double, textRank: Int? = nil, vectorRank: Int? = nil,
        similarity: Float? = nil
    ) {
        self.memory = memory
        self.score = score
        self.textRank = textRank
        self.vectorRank = vectorRank
        self.similarity = similarity
    }
}
