/// How a search finds memories: by words (FTS5, BM25), by meaning (vectors), or both fused by reciprocal rank.
public enum SearchMode: String, Sendable, Hashable, CaseIterable, Codable {
    case text
    case vector
    case hybrid
}
