/// A memory identifier with its cosine similarity to a query: the raw answer of the vector index.
public struct ScoredMemoryID: Sendable, Hashable {
    public var id: MemoryID
    public var similarity: Float

    public init(id: MemoryID, similarity: Float) {
        self.id = id
        self.similarity = similarity
    }
}
