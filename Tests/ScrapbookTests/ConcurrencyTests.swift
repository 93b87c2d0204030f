import Foundation
import Testing

@testable import Scrapbook

@Suite("Concurrent use and failing embedders at query time")
struct ConcurrencyTests {
    @Test("concurrent adds and searches from many tasks lose nothing")
    func concurrentAddsAndSearches() async throws {
        try await withTemporaryDirectory { dir in
            let scrapbook = try Scrapbook.open(
                path: dir.databasePath, embedder: WordHashEmbedder(), configuration: testConfiguration(threshold: 150, batch: 8))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<8 {
                    group.addTask {
                        for i in 0..<25 {
                            try await scrapbook.add("task \(task) memory \(i) about cats", source: .userDialogue, persona: "P\(task)")
                            _ = try await scrapbook.search("cats memory \(i)", mode: .hybrid, limit: 5)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await scrapbook.count() == 200)
            let report = await scrapbook.indexReport()
            #expect(report.vectorCount == 200)
            #expect(report.kind == .ivf)
            // Every memory is findable by its own text.
            let hits = try await scrapbook.search(
                "task 3 memory 17 about cats", mode: .vector, filter: MemoryFilter(personas: ["P3"]), limit: 1)
            #expect(hits.first?.memory.text == "task 3 memory 17 about cats")
        }
    }

    @Test("when the embedder is down, vector and hybrid search fail clearly and text search still works")
    func embedderDownAtQueryTime() async throws {
        try await withTemporaryDirectory { dir in
            let flaky = FlakyEmbedder(WordHashEmbedder(), failAt: nil)
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: flaky)
            try await scrapbook.add("the garden needs water", source: .userDialogue)
            let down = FlakyEmbedder(WordHashEmbedder(), failAt: 1)
            let reopened = try Scrapbook.open(path: dir.databasePath, embedder: down)
            for mode in [SearchMode.vector, .hybrid] {
                let error = await expectScrapbookError(.embedderFailed) { try await reopened.search("garden", mode: mode) }
                #expect(error?.message.contains("mode text") == true)
            }
            #expect(try await reopened.search("garden", mode: .text).count == 1)
            #expect(try await reopened.search(vector: WordHashEmbedder().vector(for: "garden water")).count == 1)
        }
    }
}
