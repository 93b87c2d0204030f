import Foundation
import GRDB

extension Scrapbook {
    /// Gives every memory a vector of the current embedder's model, in batches; then, if the model
    /// changed, switches the scrapbook to the new vectors and rebuilds the index.
    ///
    /// Vectors are never mixed: until every memory has a new vector, search keeps using the old
    /// ones (vector search by text refuses to run, since the query would be in the new space).
    /// Each batch commits on its own; when the embedder fails, calling `reembed()` again picks up
    /// the memories still missing.
    @discardableResult
    public func reembed() async throws -> ReembedReport {
        // A training of the old space must not commit after the switch.
        if let training { _ = try? await training.value }
        try loadIndexIfNeeded()
        let model = embedder.modelName
        guard let probeText = try read({ try MemoryStore.firstText($0) }) else {
            return ReembedReport(reembedded: 0, model: model, dimension: nil, switchedModel: false, index: report(trainingSeconds: 0))
        }
        // One embedding tells the model's dimension (which may change under the same model name).
        let target = EmbeddingSpace(model: model, dimension: try await embed([probeText])[0].count)
        var reembedded = 0
        while true {
            let batch = try read {
                try MemoryStore.needingEmbedding($0, space: target, limit: configuration.embeddingBatchSize)
            }
            if batch.isEmpty { break }
            let vectors: [[Float]]
            do {
                vectors = try await embed(batch.map(\.text))
            } catch let error as ScrapbookError where error.code == .embedderFailed {
                let pending = try read { try MemoryStore.countNeedingEmbedding($0, model: model, dimension: target.dimension) }
                throw ScrapbookError(
                    .embedderFailed,
                    "\(error.message) — \(reembedded) memories were re-embedded, \(pending) remain: run reembed() again")
            }
            guard vectors[0].count == target.dimension else {
                throw ScrapbookError(
                    .badEmbedding,
                    "the embedder '\(model)' changed dimension during re-embedding (\(target.dimension), then \(vectors[0].count)): check the embedding server and run reembed() again")
            }
            try storeReembedded(zip(batch, vectors).map { ($0.id, $1) }, space: target)
            reembedded += batch.count
        }
        var switched = false
        if space != target {
            if let training { _ = try? await training.value }
            try switchSpace(to: target)
            switched = true
        }
        var indexReport = report(trainingSeconds: 0)
        if switched || (index.map(needsTraining) ?? false) {
            indexReport = try await reindex()
        }
        return ReembedReport(
            reembedded: reembedded, model: model, dimension: target.dimension, switchedModel: switched, index: indexReport)
    }

    /// Stores new vectors; those of the indexed space also join the in-memory index.
    private func storeReembedded(_ vectors: [(id: Int64, vector: [Float])], space target: EmbeddingSpace) throws {
        let live = target == space
        var partitions: [Int?] = []
        if live, let index {
            partitions = vectors.map { index.isTrained ? index.nearestPartition(to: $0.vector) : nil }
        }
        let (attributes, lag) = try writeKeepingUp { db -> [Int64: (String, String?, Double)] in
            try MemoryStore.replaceEmbeddings(db, vectors, space: target)
            guard live else { return [:] }
            try IndexStore.saveAssignments(
                db, zip(vectors, partitions).compactMap { entry, p in p.map { (entry.id, $0) } })
            var result: [Int64: (String, String?, Double)] = [:]
            for memory in try MemoryStore.memories(db, ids: vectors.map { MemoryID($0.id) }).values {
                result[memory.id.rawValue] = (memory.source.rawValue, memory.persona, memory.createdAt.timeIntervalSince1970)
            }
            return result
        }
        defer { absorb(lag) }
        guard live, index != nil else { return }
        for (entry, partition) in zip(vectors, partitions) {
            guard let (source, persona, time) = attributes[entry.id] else { continue }
            let codes = index!.codes.attributes(source: source, persona: persona, createdAt: time)
            index!.insert(id: entry.id, vector: entry.vector, attributes: codes, partition: partition)
            arrivals?.append(Arrival(id: entry.id, vector: entry.vector, source: source, persona: persona, createdAt: time))
        }
    }

    /// Makes `target` the indexed space, in one transaction: the old IVF index and the old vectors go.
    private func switchSpace(to target: EmbeddingSpace) throws {
        let (loaded, now) = try write { db -> (VectorIndex, IndexWatermark) in
            try MemoryStore.setSpace(db, target)
            try IndexStore.clear(db)
            try db.execute(
                sql: "DELETE FROM memory_embedding WHERE model != ? OR dimension != ?",
                arguments: [target.model, target.dimension])
            return (try IndexStore.load(db, space: target).index, try IndexWatermark.read(db))
        }
        logger.info("switched memory embeddings from \(space.map(\.description) ?? "none") to \(target)")
        space = target
        index = loaded
        watermark = now
    }
}
