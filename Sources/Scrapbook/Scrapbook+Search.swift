import BlockingWork
import Foundation

extension Scrapbook {
    /// Searches memories by text: full text (BM25), by meaning (vectors) or both (reciprocal rank fusion).
    public func search(
        _ text: String, mode: SearchMode = .hybrid, filter: MemoryFilter = MemoryFilter(), limit: Int = 10
    ) async throws -> [MemoryHit] {
        try await search(MemoryQuery(text: text, mode: mode, filter: filter, limit: limit))
    }

    /// Searches memories by a query embedding the caller computed (same model and dimension as the memories).
    public func search(
        vector: [Float], filter: MemoryFilter = MemoryFilter(), limit: Int = 10, nprobe: Int? = nil
    ) async throws -> [MemoryHit] {
        try await search(MemoryQuery(vector: vector, mode: .vector, filter: filter, limit: limit, nprobe: nprobe))
    }

    /// Runs a search. With nothing stored the result is empty, not an error. A vector or hybrid
    /// search first takes in the vectors other processes stored since the index last looked.
    ///
    /// - Throws: ``ScrapbookError`` `.missingQuery` without text (or vector) to search with,
    ///   `.invalidArgument` for a limit or nprobe below 1, `.dimensionMismatch` for a query vector
    ///   of the wrong dimension, `.embeddingModelChanged` for vector or hybrid search by text after
    ///   the embedding model changed (until ``reembed()`` ran; text search keeps working).
    public func search(_ query: MemoryQuery) async throws -> [MemoryHit] {
        try Self.checkLimit(query.limit)
        if let nprobe = query.nprobe, nprobe < 1 {
            throw ScrapbookError(.invalidArgument, "nprobe must be at least 1 (got \(nprobe))")
        }
        let text = query.text.map(\.trimmed).flatMap { $0.isEmpty ? nil : $0 }
        // What other processes stored since the index last looked is found too.
        if query.mode != .text { try catchUp() }
        switch query.mode {
        case .text:
            guard let text else {
                throw ScrapbookError(.missingQuery, "a text search needs some query text")
            }
            let ranked = try textRanked(text, filter: query.filter, limit: query.limit)
            let memories = try fetch(ranked.map(\.id))
            return ranked.enumerated().compactMap { rank, entry in
                memories[entry.id].map { MemoryHit(memory: $0, score: -entry.bm25, textRank: rank + 1) }
            }
        case .vector:
            guard text != nil || query.vector != nil else {
                throw ScrapbookError(.missingQuery, "a vector search needs query text or a query vector")
            }
            let ranked = try await vectorRanked(
                text: text, vector: query.vector, filter: query.filter, limit: query.limit, nprobe: query.nprobe)
            let memories = try fetch(ranked.map(\.id))
            return ranked.enumerated().compactMap { rank, entry in
                memories[entry.id].map {
                    MemoryHit(memory: $0, score: Double(entry.similarity), vectorRank: rank + 1, similarity: entry.similarity)
                }
            }
        case .hybrid:
            guard text != nil || query.vector != nil else {
                throw ScrapbookError(.missingQuery, "a hybrid search needs query text or a query vector")
            }
            // Fuse deeper lists than asked for, so that a memory ranked fairly in both can win.
            let depth = max(query.limit * 4, 40)
            let vectorList = try await vectorRanked(
                text: text, vector: query.vector, filter: query.filter, limit: depth, nprobe: query.nprobe)
            let textList = try text.map { try textRanked($0, filter: query.filter, limit: depth) } ?? []
            let fused = ReciprocalRankFusion.fuse([textList.map(\.id), vectorList.map(\.id)]).prefix(query.limit)
            let textRank = Dictionary(uniqueKeysWithValues: textList.enumerated().map { ($1.id, $0 + 1) })
            let vectorRank = Dictionary(uniqueKeysWithValues: vectorList.enumerated().map { ($1.id, ($0 + 1, $1.similarity)) })
            let memories = try fetch(fused.map(\.id))
            return fused.compactMap { entry in
                memories[entry.id].map {
                    MemoryHit(
                        memory: $0, score: entry.score, textRank: textRank[entry.id],
                        vectorRank: vectorRank[entry.id]?.0, similarity: vectorRank[entry.id]?.1)
                }
            }
        }
    }

    /// The raw answer of the vector index for a query embedding: ids and cosine similarities, best first.
    ///
    /// No database access once the index is loaded (the first call loads it): for callers that
    /// only need ids, and for measuring the index itself.
    public func nearest(
        to vector: [Float], limit: Int = 10, nprobe: Int? = nil, filter: MemoryFilter = MemoryFilter()
    ) throws -> [ScoredMemoryID] {
        try Self.checkLimit(limit)
        if let nprobe, nprobe < 1 {
            throw ScrapbookError(.invalidArgument, "nprobe must be at least 1 (got \(nprobe))")
        }
        try loadIndexIfNeeded()
        guard let (_, unit) = try indexAndUnitQuery(vector) else { return [] }
        try makeResident(for: unit, nprobe: nprobe, filtered: !filter.isEmpty)
        guard let index else { return [] }
        return search(index, unit, limit: limit, nprobe: nprobe, filter: filter)
    }

    /// The current index and the normalized query vector; nil while nothing is indexed.
    private func indexAndUnitQuery(_ vector: [Float]) throws -> (VectorIndex, [Float])? {
        guard let space, let index, index.count > 0 else { return nil }
        guard vector.count == space.dimension else {
            throw ScrapbookError.dimensionMismatch(expected: space.dimension, got: vector.count, model: space.model)
        }
        guard let unit = VectorMath.normalized(vector) else {
            throw ScrapbookError(.invalidArgument, "the query vector is zero or has non-finite values: give a real embedding")
        }
        return (index, unit)
    }

    /// The most hits one search returns.
    public static let maxSearchLimit = 10_000

    private static func checkLimit(_ limit: Int) throws {
        guard (1...maxSearchLimit).contains(limit) else {
            throw ScrapbookError(
                .invalidArgument, "the search limit must be between 1 and \(maxSearchLimit) (got \(limit))")
        }
    }

    private func search(_ index: VectorIndex, _ unit: [Float], limit: Int, nprobe: Int?, filter: MemoryFilter) -> [ScoredMemoryID] {
        guard let plan = plan(index, limit: limit, nprobe: nprobe, filter: filter) else { return [] }
        return index.search(query: unit, limit: limit, nprobe: plan.probes, filter: plan.filter)
    }

    /// A search of a large index (a filtered one may scan every vector) runs on a thread of its
    /// own, off the cooperative pool; a small one costs less than moving it would.
    private func searchOffPoolIfLarge(
        _ index: VectorIndex, _ unit: [Float], limit: Int, nprobe: Int?, filter: MemoryFilter
    ) async -> [ScoredMemoryID] {
        guard let plan = plan(index, limit: limit, nprobe: nprobe, filter: filter) else { return [] }
        guard index.count >= Self.offPoolSearchThreshold else {
            return index.search(query: unit, limit: limit, nprobe: plan.probes, filter: plan.filter)
        }
        return await OffPool.run { index.search(query: unit, limit: limit, nprobe: plan.probes, filter: plan.filter) }
    }

    /// From this many vectors on, a vector search runs off the cooperative pool.
    static let offPoolSearchThreshold = 20_000

    private func plan(
        _ index: VectorIndex, limit: Int, nprobe: Int?, filter: MemoryFilter
    ) -> (probes: Int, filter: VectorFilter?)? {
        var compiled: VectorFilter?
        if !filter.isEmpty {
            guard let known = index.codes.compile(filter) else { return nil }
            compiled = known
        }
        return (configuration.probes(for: index.partitions.count, requested: nprobe), compiled)
    }

    private func vectorRanked(
        text: String?, vector: [Float]?, filter: MemoryFilter, limit: Int, nprobe: Int?
    ) async throws -> [ScoredMemoryID] {
        if let vector {
            guard let (_, unit) = try indexAndUnitQuery(vector) else { return [] }
            try makeResident(for: unit, nprobe: nprobe, filtered: !filter.isEmpty)
            guard let index else { return [] }
            return await searchOffPoolIfLarge(index, unit, limit: limit, nprobe: nprobe, filter: filter)
        }
        guard let text, let space, let index, index.count > 0 else { return [] }
        let unit = try await embedQuery(text, space: space)
        // The actor may have run other calls while the embedder answered: use the index as it is now.
        guard self.space == space, self.index != nil else { return [] }
        try makeResident(for: unit, nprobe: nprobe, filtered: !filter.isEmpty)
        guard let current = self.index else { return [] }
        return await searchOffPoolIfLarge(current, unit, limit: limit, nprobe: nprobe, filter: filter)
    }

    private func textRanked(_ text: String, filter: MemoryFilter, limit: Int) throws -> [(id: MemoryID, bm25: Double)] {
        guard let match = FTSQuery.matchExpression(for: text) else { return [] }
        return try read { try MemoryStore.textSearch($0, match: match, filter: filter, limit: limit) }
    }

    private func fetch(_ ids: [MemoryID]) throws -> [MemoryID: Memory] {
        try read { try MemoryStore.memories($0, ids: ids) }
    }
}
