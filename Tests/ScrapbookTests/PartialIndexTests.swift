import Foundation
import GRDB
import Testing

@testable import Scrapbook

/// A reopened IVF index is read partition by partition: centroids first, then only what a search
/// probes, so resident memory grows with what is probed, not with the scrapbook.
@Suite("The IVF index is read partition by partition")
struct PartialIndexTests {
    static let topics = ["rivers", "bridges", "owls", "tides", "orchards", "lamps", "engines", "violins"]

    /// A scrapbook file with `count` memories and a trained IVF index (threshold 500).
    func filled(_ dir: TemporaryDirectory, count: Int) async throws -> ScrapbookConfiguration {
        var configuration = testConfiguration(threshold: 500, batch: 256)
        configuration.automaticRetraining = false
        let writer = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
        try await writer.add((0..<count).map { i in
            NewMemory(text: "note \(i) on \(Self.topics[i % 8]) and \(Self.topics[(i / 8) % 8])", source: i % 3 == 0 ? .document : .selfReflection)
        })
        #expect(try await writer.reindex().kind == .ivf)
        return configuration
    }

    func residency(_ scrapbook: Scrapbook) async -> (resident: Int, total: Int, count: Int) {
        let index = await scrapbook.index
        return (index?.residentPartitions ?? 0, index?.partitions.count ?? 0, index?.count ?? 0)
    }

    @Test("a first search reads only the partitions it probes and answers what the whole index answers")
    func readsOnlyProbedPartitions() async throws {
        try await withTemporaryDirectory { dir in
            let configuration = try await filled(dir, count: 3_000)
            let partial = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            let whole = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            try await whole.loadIndexIfNeeded()
            try await whole.makeFullyResident()
            let total = await residency(whole).total
            #expect(await residency(whole).resident == total)

            let query = try await WordHashEmbedder().embed(["note on owls and tides"])[0]
            let first = try await partial.nearest(to: query, limit: 10)
            let afterOne = await residency(partial)
            let nprobe = configuration.probes(for: total, requested: nil)
            #expect(afterOne.resident >= 1 && afterOne.resident <= nprobe, "read \(afterOne.resident) partitions for one search of \(nprobe) probes")
            #expect(afterOne.count == 3_000, "the partly read index still knows every vector")
            #expect(first == (try await whole.nearest(to: query, limit: 10)))
            #expect(first.count == 10)
            // Other queries read more partitions, never one twice; the answers stay the same as the whole index's.
            for text in ["rivers and bridges", "lamps and violins", "orchards and engines"] {
                let vector = try await WordHashEmbedder().embed([text])[0]
                #expect(try await partial.nearest(to: vector, limit: 5) == (try await whole.nearest(to: vector, limit: 5)))
            }
            #expect(await partial.partitionReads == (await residency(partial)).resident)
            // The report counts every vector; the memory held is what was read.
            let report = await partial.indexReport()
            #expect(report.vectorCount == 3_000 && report.partitionCount == total)
            #expect(report.memoryBytes < (await whole.indexReport()).memoryBytes)
        }
    }

    @Test("memories added while the index is partly read, here or by another process, are found")
    func addsWhilePartlyResidentAreFound() async throws {
        try await withTemporaryDirectory { dir in
            let configuration = try await filled(dir, count: 2_000)
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            let other = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            _ = try await scrapbook.search("owls", mode: .vector, limit: 3)
            #expect(await residency(scrapbook).resident < (await residency(scrapbook)).total)

            let mine = try await scrapbook.add("a lighthouse keeper paints seagulls at dusk", source: .userDialogue)
            let theirs = try await other.add("a clockmaker repairs brass gears before dawn", source: .userDialogue)
            let found = try await scrapbook.search("lighthouse keeper paints seagulls", mode: .vector, limit: 1)
            #expect(found.first?.memory.id == mine.id)
            let foundTheirs = try await scrapbook.search("clockmaker repairs brass gears", mode: .vector, limit: 1)
            #expect(foundTheirs.first?.memory.id == theirs.id)
            #expect(await residency(scrapbook).count == 2_002)
            // Each was stored with its partition, so a fresh process reading partitions finds them too.
            let fresh = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            #expect(try await fresh.search("clockmaker repairs brass gears", mode: .vector, limit: 1).first?.memory.id == theirs.id)
            #expect(await residency(fresh).resident < (await residency(fresh)).total)
        }
    }

    @Test("a filtered search and a retraining read every partition")
    func filteredSearchAndTrainingReadEverything() async throws {
        try await withTemporaryDirectory { dir in
            let configuration = try await filled(dir, count: 2_000)
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            let hits = try await scrapbook.search("owls", mode: .vector, filter: MemoryFilter(sources: [.document]), limit: 5)
            #expect(hits.count == 5 && hits.allSatisfy { $0.memory.source == .document })
            let afterFilter = await residency(scrapbook)
            #expect(afterFilter.resident == afterFilter.total)

            let retrained = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            _ = try await retrained.search("tides", mode: .vector, limit: 1)
            let report = try await retrained.reindex()
            #expect(report.kind == .ivf && report.vectorCount == 2_000)
            #expect(await residency(retrained).resident == (await residency(retrained)).total)
        }
    }

    @Test("vectors without a partition (an older a4ps) make the whole index load once and get one")
    func unassignedVectorsLoadTheWholeIndex() async throws {
        try await withTemporaryDirectory { dir in
            let configuration = try await filled(dir, count: 1_500)
            let database = try DatabaseQueue(path: dir.databasePath)
            try await database.write { try $0.execute(sql: "DELETE FROM memory_ivf_assignment WHERE memory_id % 50 = 0") }
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            _ = try await scrapbook.search("owls", mode: .vector, limit: 3)
            let loaded = await residency(scrapbook)
            #expect(loaded.resident == loaded.total && loaded.count == 1_500)
            let unassigned = try await database.read { db in
                try Int.fetchOne(db, sql: """
                    SELECT COUNT(*) FROM memory_embedding e
                    LEFT JOIN memory_ivf_assignment a ON a.memory_id = e.memory_id WHERE a.memory_id IS NULL
                    """)
            }
            try database.close()
            #expect(unassigned == 0)
            // Next time, partitions again.
            let next = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            _ = try await next.search("owls", mode: .vector, limit: 3)
            #expect(await residency(next).resident < (await residency(next)).total)
        }
    }
}

extension PartialIndexTests {
    @Test("warming reads every partition while searches go on")
    func warmingReadsEverything() async throws {
        try await withTemporaryDirectory { dir in
            let configuration = try await filled(dir, count: 2_000)
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            async let warmed: Void = scrapbook.warmIndex()
            let hits = try await scrapbook.search("owls and tides", mode: .vector, limit: 3)
            try await warmed
            #expect(hits.count == 3)
            let after = await residency(scrapbook)
            #expect(after.resident == after.total && after.count == 2_000)
            #expect(await scrapbook.indexLoads == 1)
        }
    }
}
