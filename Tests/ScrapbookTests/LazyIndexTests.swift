import Foundation
import GRDB
import Testing

@testable import Scrapbook

/// Opening a scrapbook reads no vector: the index is loaded on the first search by meaning, once,
/// and what was added before that is found by it.
@Suite("The vector index is loaded on first need")
struct LazyIndexTests {
    /// A scrapbook file with `count` memories and a trained IVF index (threshold 500).
    func filled(_ dir: TemporaryDirectory, count: Int) async throws -> ScrapbookConfiguration {
        let configuration = testConfiguration(threshold: 500, batch: 256)
        let writer = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
        let topics = ["rivers", "bridges", "owls", "tides", "orchards", "lamps", "engines", "violins"]
        try await writer.add((0..<count).map { i in
            NewMemory(text: "note \(i) on \(topics[i % topics.count]) and \(topics[(i / 8) % topics.count])", source: .selfReflection)
        })
        #expect(await writer.indexReport().kind == .ivf)
        return configuration
    }

    @Test("opening, adding, text search and stats on a few thousand memories do not load the index; the first vector search does, once")
    func loadsOnFirstVectorSearch() async throws {
        try await withTemporaryDirectory { dir in
            let configuration = try await filled(dir, count: 3_000)
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            #expect(await scrapbook.isIndexLoaded == false)

            try await scrapbook.add("the lighthouse keeper paints seagulls at dusk", source: .userDialogue)
            let words = try await scrapbook.search("lighthouse seagulls", mode: .text, limit: 1)
            #expect(words.first?.memory.text == "the lighthouse keeper paints seagulls at dusk")
            let stats = try await scrapbook.stats()
            #expect(stats.memoryCount == 3_001)
            #expect(stats.index.vectorCount == 3_001 && stats.index.kind == .ivf && !stats.index.loaded)
            #expect(stats.index.memoryBytes == 0)
            #expect(await scrapbook.isIndexLoaded == false, "adding, text search or stats loaded the index")
            #expect(await scrapbook.indexLoads == 0)

            let hits = try await scrapbook.search("lighthouse keeper paints seagulls", mode: .vector, limit: 1)
            #expect(hits.first?.memory.text == "the lighthouse keeper paints seagulls at dusk")
            #expect(await scrapbook.isIndexLoaded)
            #expect(await scrapbook.indexLoads == 1)
            let loaded = try await scrapbook.stats().index
            #expect(loaded.loaded && loaded.vectorCount == 3_001 && loaded.memoryBytes > 0)

            _ = try await scrapbook.search("owls", mode: .hybrid, limit: 3)
            #expect(await scrapbook.indexLoads == 1, "a second search loaded the index again")
            #expect(await scrapbook.reloads == 0)

            // The memory added before the load got its partition when the index was loaded, persisted.
            let database = try DatabaseQueue(path: dir.databasePath)
            let unassigned = try await database.read { db in
                try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM memory_embedding e
                    LEFT JOIN memory_ivf_assignment a ON a.memory_id = e.memory_id WHERE a.memory_id IS NULL
                    """)
            }
            try database.close()
            #expect(unassigned == 0)
        }
    }

    @Test("concurrent first searches load the index once")
    func concurrentFirstSearchesLoadOnce() async throws {
        try await withTemporaryDirectory { dir in
            let configuration = try await filled(dir, count: 1_200)
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for query in ["rivers", "owls", "tides", "violins", "lamps", "engines"] {
                    group.addTask { try await scrapbook.search(query, mode: .vector, limit: 3).count }
                }
                for try await count in group { #expect(count == 3) }
            }
            #expect(await scrapbook.indexLoads == 1)
        }
    }

    @Test("adding past the exact-search threshold while the index is not loaded still trains it")
    func retrainsWhenDueWithoutALoadedIndex() async throws {
        try await withTemporaryDirectory { dir in
            let configuration = testConfiguration(threshold: 40)
            let first = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            for i in 0..<30 { try await first.add("entry \(i) about mountain weather", source: .selfReflection) }
            let second = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            try await second.add((0..<5).map { NewMemory(text: "record \($0) about ocean tides", source: .selfReflection) })
            #expect(await second.isIndexLoaded == false, "an addition far below the threshold loaded the index")
            try await second.add((5..<15).map { NewMemory(text: "record \($0) about ocean tides", source: .selfReflection) })
            let report = try await second.stats().index
            #expect(report.kind == .ivf && report.vectorCount == 45)
        }
    }
}
