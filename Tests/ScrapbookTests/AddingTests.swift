import Foundation
import GRDB
import Testing

@testable import Scrapbook

@Suite("Adding memories")
struct AddingTests {
    @Test("a memory keeps its fields and survives reopening")
    func roundTrip() async throws {
        try await withTemporaryDirectory { dir in
            let embedder = WordHashEmbedder()
            let when = Date(timeIntervalSince1970: 1_700_000_000.25)
            let added = try await Scrapbook.open(path: dir.databasePath, embedder: embedder)
                .add("The user prefers green tea", source: .userDialogue, persona: "ALFRED", runID: "run-7", createdAt: when)
            let reopened = try Scrapbook.open(path: dir.databasePath, embedder: embedder)
            let memory = try #require(try await reopened.memory(added.id))
            #expect(memory == added)
            #expect(memory.text == "The user prefers green tea")
            #expect(memory.source == .userDialogue)
            #expect(memory.persona == "ALFRED")
            #expect(memory.runID == "run-7")
            #expect(memory.createdAt == when)
            let hits = try await reopened.search("green tea", mode: .vector, limit: 1)
            #expect(hits.first?.memory.id == added.id)
        }
    }

    @Test("vectors are stored as Float32 blobs with their model and dimension")
    func vectorsCarryTheirModel() async throws {
        try await withTemporaryDirectory { dir in
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(dimension: 48))
            try await scrapbook.add("one", source: .selfReflection, persona: "BRICK")
            let database = try Scrapbook.openDatabase(at: dir.databasePath)
            let fetched = try await database.read { try Row.fetchOne($0, sql: "SELECT * FROM memory_embedding") }
            let row = try #require(fetched)
            #expect(row["model"] as String == "test-words")
            #expect(row["dimension"] as Int == 48)
            #expect((row["vector"] as Data).count == 48 * 4)
        }
    }

    @Test("empty and blank texts are refused", arguments: ["", "   ", "\n\t  \n"])
    func emptyText(text: String) async throws {
        try await withTemporaryDirectory { dir in
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder())
            let error = await expectScrapbookError(.emptyText) { try await scrapbook.add(text, source: .userDialogue) }
            #expect(error?.message.contains("empty") == true)
            #expect(try await scrapbook.count() == 0)
        }
    }

    @Test("a huge memory text is refused with a pointer to document ingestion")
    func hugeText() async throws {
        try await withTemporaryDirectory { dir in
            var configuration = ScrapbookConfiguration()
            configuration.maxMemoryBytes = 1_000
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            let error = await expectScrapbookError(.textTooLarge) {
                try await scrapbook.add(String(repeating: "word ", count: 500), source: .userDialogue)
            }
            #expect(error?.message.contains("ingest") == true)
            #expect(try await scrapbook.count() == 0)
        }
    }

    @Test("an embedder failing mid-batch writes nothing, and a retry stores everything once")
    func embedderFailsMidBatch() async throws {
        try await withTemporaryDirectory { dir in
            let flaky = FlakyEmbedder(WordHashEmbedder(), failAt: 2)
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: flaky, configuration: testConfiguration(batch: 2))
            let memories = (0..<5).map { NewMemory(text: "memory number \($0)", source: .babsReport, persona: "BABS") }
            let error = await expectScrapbookError(.embedderFailed) { try await scrapbook.add(memories) }
            #expect(error?.message.contains("connection refused") == true)
            #expect(error?.message.contains("retry") == true)
            #expect(try await scrapbook.count() == 0)
            #expect(try await scrapbook.stats().index.vectorCount == 0)
            flaky.heal()
            let stored = try await scrapbook.add(memories)
            #expect(stored.count == 5)
            #expect(try await scrapbook.count() == 5)
            #expect(try await scrapbook.stats().index.vectorCount == 5)
        }
    }

    @Test("malformed embedder replies are refused and nothing is written")
    func badEmbeddings() async throws {
        try await withTemporaryDirectory { dir in
            let replies: [@Sendable ([String]) -> [[Float]]] = [
                { _ in [] },  // too few
                { texts in texts.map { _ in [Float.nan, 1, 2] } },  // not finite
                { texts in texts.map { _ in [0, 0, 0] } },  // zero
                { texts in texts.enumerated().map { i, _ in [Float](repeating: 1, count: 3 + i) } },  // ragged
            ]
            for (n, reply) in replies.enumerated() {
                let path = dir.url.appendingPathComponent("bad-\(n).sqlite").path
                let scrapbook = try Scrapbook.open(path: path, embedder: ScriptedEmbedder(modelName: "bad", reply: reply))
                await expectScrapbookError(.badEmbedding) {
                    try await scrapbook.add([
                        NewMemory(text: "a", source: .userDialogue), NewMemory(text: "b", source: .userDialogue),
                    ])
                }
                #expect(try await scrapbook.count() == 0)
            }
        }
    }

    @Test("embedding happens in batches of the configured size")
    func batches() async throws {
        try await withTemporaryDirectory { dir in
            let embedder = WordHashEmbedder()
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: embedder, configuration: testConfiguration(batch: 4))
            try await scrapbook.add((0..<10).map { NewMemory(text: "item \($0)", source: .document) })
            #expect(embedder.callCount == 3)
            #expect(embedder.textCount == 10)
        }
    }

    @Test("stats count memories per source and report sizes and the embedding model")
    func stats() async throws {
        try await withTemporaryDirectory { dir in
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(dimension: 32))
            let empty = try await scrapbook.stats()
            #expect(empty.memoryCount == 0)
            #expect(empty.index.kind == .empty)
            #expect(empty.embeddingModel == nil)
            try await scrapbook.add("a", source: .userDialogue)
            try await scrapbook.add("bb", source: .userDialogue)
            try await scrapbook.add("ccc", source: .babsReport)
            let stats = try await scrapbook.stats()
            #expect(stats.memoryCount == 3)
            #expect(stats.countsBySource == [.userDialogue: 2, .babsReport: 1])
            #expect(stats.textBytes == 6)
            #expect(stats.vectorBytes == 3 * 32 * 4)
            #expect(stats.embeddingModel == "test-words")
            #expect(stats.embeddingDimension == 32)
            #expect(stats.needsReembedding == false)
            #expect(stats.memoriesNeedingEmbedding == 0)
            #expect(stats.index.kind == .exact)
            #expect(stats.index.vectorCount == 3)
            // Stats do not load the index: its memory shows once a search by meaning has loaded it.
            #expect(!stats.index.loaded && stats.index.memoryBytes == 0)
            _ = try await scrapbook.search("bb", mode: .vector, limit: 1)
            let loaded = try await scrapbook.stats().index
            #expect(loaded.loaded && loaded.vectorCount == 3)
            #expect(loaded.memoryBytes >= 3 * 32 * 4)
        }
    }
}
