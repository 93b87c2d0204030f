import Foundation
import GRDB

extension Scrapbook {
    /// Counts, sizes, index state and embedding model, as `a4ps memory stats` shows them.
    ///
    /// Does not load the vector index: while it is not in memory, its state is read from the file.
    public func stats() throws -> ScrapbookStats {
        let model = embedder.modelName
        let sameModel = space?.model == model
        let (total, bySource, documents, textBytes, vectorBytes, needing) = try read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM memory_item") ?? 0
            var bySource: [MemorySource: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT source, COUNT(*) AS n FROM memory_item GROUP BY source") {
                bySource[MemorySource(row["source"] as String)] = row["n"]
            }
            let documents = try Int.fetchOne(
                db, sql: "SELECT COUNT(DISTINCT document_key) FROM memory_item WHERE document_key IS NOT NULL") ?? 0
            let textBytes = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(length(CAST(text AS BLOB))), 0) FROM memory_item") ?? 0
            let vectorBytes = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(length(vector)), 0) FROM memory_embedding") ?? 0
            let needing = try MemoryStore.countNeedingEmbedding(db, model: model, dimension: sameModel ? space?.dimension : nil)
            return (total, bySource, documents, textBytes, vectorBytes, needing)
        }
        return ScrapbookStats(
            memoryCount: total, countsBySource: bySource, documentCount: documents, textBytes: textBytes,
            vectorBytes: vectorBytes, embeddingModel: space?.model, embeddingDimension: space?.dimension,
            embedderModel: model, needsReembedding: space != nil && !sameModel,
            memoriesNeedingEmbedding: needing, index: indexLoaded ? report(trainingSeconds: lastTrainingSeconds) : try storedReport(trainingSeconds: lastTrainingSeconds))
    }
}
