import Foundation
import GRDB
import Testing

@testable import Scrapbook

@Suite("Embedding model changes")
struct ReembedTests {
    func seed(_ dir: TemporaryDirectory, count: Int = 30, threshold: Int = 10_000) async throws {
        let scrapbook = try Scrapbook.open(
            path: dir.databasePath, embedder: WordHashEmbedder(modelName: "old-model", dimension: 32),
            configuration: testConfiguration(threshold: threshold, batch: 8))
        try await scrapbook.add((0..<count).map { NewMemory(text: "memory \($0) about topic \($0 % 5)", source: .userDialogue) })
    }

    func models(_ dir: TemporaryDirectory) async throws -> [String: Int] {
        let database = try Scrapbook.openDatabase(at: dir.databasePath)
        return try await database.read { db in
            var result: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT model || '/' || dimension AS space, COUNT(*) AS n FROM memory_embedding GROUP BY space") {
                result[row["space"]] = row["n"]
            }
            return result
        }
    }

    @Test("a new embedding model is detected; vector search waits for reembed(), text search does not")
    func modelChangeIsDetected() async throws {
        try await withTemporaryDirectory { dir in
            try await seed(dir)
            let scrapbook = try Scrapbook.open(
                path: dir.databasePath, embedder: WordHashEmbedder(modelName: "new-model", dimension: 48),
                configuration: testConfiguration(batch: 8))
            let stats = try await scrapbook.stats()
            #expect(stats.needsReembedding)
            #expect(stats.embeddingModel == "old-model")
            #expect(stats.embedderModel == "new-model")
            #expect(stats.memoriesNeedingEmbedding == 30)
            let error = await expectScrapbookError(.embeddingModelChanged) { try await scrapbook.search("topic 3", mode: .vector) }
            #expect(error?.message.contains("reembed") == true)
            await expectScrapbookError(.embeddingModelChanged) { try await scrapbook.search("topic 3", mode: .hybrid) }
            #expect(try await scrapbook.search("topic", mode: .text).count == 10)

            let report = try await scrapbook.reembed()
            #expect(report.reembedded == 30)
            #expect(report.switchedModel)
            #expect(report.dimension == 48)
            #expect(try await models(dir) == ["new-model/48": 30])
            let after = try await scrapbook.stats()
            #expect(!after.needsReembedding)
            #expect(after.embeddingModel == "new-model")
            #expect(after.embeddingDimension == 48)
            #expect(after.index.vectorCount == 30)
            let hits = try await scrapbook.search("memory 7 about topic 2", mode: .vector, limit: 1)
            #expect(hits.first?.memory.text == "memory 7 about topic 2")
            // Nothing left to do the second time.
            #expect(try await scrapbook.reembed().reembedded == 0)
        }
    }

    @Test("memories added before reembed() are stored in the new space and never mixed into the old index")
    func addsBeforeReembed() async throws {
        try await withTemporaryDirectory { dir in
            try await seed(dir, count: 10)
            let scrapbook = try Scrapbook.open(
                path: dir.databasePath, embedder: WordHashEmbedder(modelName: "new-model", dimension: 48),
                configuration: testConfiguration(batch: 8))
            try await scrapbook.add("a fresh memory", source: .selfReflection)
            #expect(try await scrapbook.indexReport().vectorCount == 10)  // the old space only
            #expect(try await models(dir) == ["old-model/32": 10, "new-model/48": 1])
            let report = try await scrapbook.reembed()
            #expect(report.reembedded == 10)
            #expect(try await models(dir) == ["new-model/48": 11])
            #expect(try await scrapbook.indexReport().vectorCount == 11)
        }
    }

    @Test("re-embedding that fails midway keeps the old vectors in use, and a retry picks up the rest")
    func reembedResumes() async throws {
        try await withTemporaryDirectory { dir in
            try await seed(dir, count: 30)
            let flaky = FlakyEmbedder(WordHashEmbedder(modelName: "new-model", dimension: 48), failAt: 4)  // a probe, two batches, then down
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: flaky, configuration: testConfiguration(batch: 8))
            let error = await expectScrapbookError(.embedderFailed) { try await scrapbook.reembed() }
            #expect(error?.message.contains("16 memories were re-embedded, 14 remain") == true)
            // The old vectors stay until every memory has a new one: search keeps using them meanwhile.
            #expect(try await models(dir) == ["old-model/32": 30, "new-model/48": 16])
            let stats = try await scrapbook.stats()
            #expect(stats.embeddingModel == "old-model")
            #expect(stats.index.vectorCount == 30)  // old-model vectors only, never a mix
            #expect(stats.memoriesNeedingEmbedding == 14)
            flaky.heal()
            let calls = flaky.callCount
            let report = try await scrapbook.reembed()
            #expect(report.reembedded == 14)
            #expect(flaky.callCount - calls == 3)  // a dimension probe, then 14 texts in batches of 8
            #expect(try await models(dir) == ["new-model/48": 30])
            #expect(try await scrapbook.stats().index.vectorCount == 30)
        }
    }

    @Test("same model name, new dimension: a clear error, then reembed() fixes it")
    func dimensionChange() async throws {
        try await withTemporaryDirectory { dir in
            try await seed(dir, count: 5)
            let scrapbook = try Scrapbook.open(
                path: dir.databasePath, embedder: WordHashEmbedder(modelName: "old-model", dimension: 40),
                configuration: testConfiguration(batch: 8))
            let error = await expectScrapbookError(.dimensionMismatch) { try await scrapbook.search("topic", mode: .vector) }
            #expect(error?.message.contains("reembed") == true)
            let report = try await scrapbook.reembed()
            #expect(report.reembedded == 5)
            #expect(try await models(dir) == ["old-model/40": 5])
            #expect(try await scrapbook.search("topic", mode: .vector).count == 5)
        }
    }

    @Test("re-embedding a large scrapbook rebuilds the IVF index in the new space")
    func reembedRebuildsIndex() async throws {
        try await withTemporaryDirectory { dir in
            try await seed(dir, count: 300, threshold: 100)
            let scrapbook = try Scrapbook.open(
                path: dir.databasePath, embedder: WordHashEmbedder(modelName: "new-model", dimension: 48),
                configuration: testConfiguration(threshold: 100, batch: 64))
            #expect(await scrapbook.indexReport().kind == .ivf)
            let report = try await scrapbook.reembed()
            #expect(report.index.kind == .ivf)
            #expect(report.index.vectorCount == 300)
            #expect(report.index.trainedOn == 300)
            let database = try Scrapbook.openDatabase(at: dir.databasePath)
            let state = try await database.read { try Row.fetchOne($0, sql: "SELECT model, dimension FROM memory_ivf_state") }
            #expect(state?["model"] as String? == "new-model")
            #expect(state?["dimension"] as Int? == 48)
        }
    }
}
