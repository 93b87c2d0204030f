import GRDB

/// How far the stored vectors and the persisted index have come: what a scrapbook's in-memory
/// index reflects, compared before every search with the file to take in what other processes
/// stored since. Reading it costs a few index lookups.
struct IndexWatermark: Sendable, Equatable {
    /// The newest stored vector (a rowid of `memory_embedding`): new vectors always get larger ones.
    var lastVector: Int64
    /// The persisted IVF training (nil while the index is exact).
    var trainedAt: Double?
    var trainedCount: Int?
    /// The space memories are indexed in (nil until the first memory is embedded).
    var space: EmbeddingSpace?

    static func read(_ db: Database) throws -> IndexWatermark {
        let row = try Row.fetchOne(
            db.cachedStatement(
                sql: """
                    SELECT (SELECT MAX(rowid) FROM memory_embedding),
                           (SELECT trained_at FROM memory_ivf_state WHERE id = 1),
                           (SELECT trained_count FROM memory_ivf_state WHERE id = 1),
                           (SELECT model FROM memory_embedding_space WHERE id = 1),
                           (SELECT dimension FROM memory_embedding_space WHERE id = 1)
                    """))
        let model: String? = row?[3]
        let dimension: Int? = row?[4]
        return IndexWatermark(
            lastVector: row?[0] ?? 0, trainedAt: row?[1], trainedCount: row?[2],
            space: model.flatMap { model in dimension.map { EmbeddingSpace(model: model, dimension: $0) } })
    }

    /// Whether `later` differs from this one by added vectors only (same space, same training),
    /// which an index takes in as they are.
    func onlyAdded(_ later: IndexWatermark) -> Bool {
        later.space == space && later.trainedAt == trainedAt && later.trainedCount == trainedCount
            && later.lastVector >= lastVector
    }
}
