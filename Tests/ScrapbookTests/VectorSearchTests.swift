import BlockingWork
import Foundation
import GRDB
import Testing

@testable import Scrapbook

@Suite("Vector search and the IVF index")
struct VectorSearchTests {
    static let dimension = 32

    /// A scrapbook holding `count` clustered vectors, added as memories "v0", "v1", ...
    func filled(
        _ dir: TemporaryDirectory, count: Int, threshold: Int, configure: (inout ScrapbookConfiguration) -> Void = { _ in }
    ) async throws -> (Scrapbook, [[Float]], [MemoryID]) {
        let vectors = clusteredVectors(count: count, dimension: Self.dimension, clusters: 24, spread: 0.35, seed: 42)
        var configuration = testConfiguration(threshold: threshold, batch: 256)
        configure(&configuration)
        let scrapbook = try Scrapbook.open(
            path: dir.databasePath, embedder: TableEmbedder(vectors: vectors), configuration: configuration)
        var ids: [MemoryID] = []
        for start in stride(from: 0, to: count, by: 500) {
            var batch: [NewMemory] = []
            for i in start..<min(count, start + 500) {
                let source: MemorySource = i % 3 == 0 ? .babsReport : .userDialogue
                let persona = i % 2 == 0 ? "BABS" : "ROBIN"
                batch.append(NewMemory(text: "v\(i)", source: source, persona: persona, createdAt: Date(timeIntervalSince1970: Double(i))))
            }
            ids += try await scrapbook.add(batch).map(\.id)
        }
        return (scrapbook, vectors, ids)
    }

    func queries(_ n: Int) -> [[Float]] {
        clusteredVectors(count: n, dimension: Self.dimension, clusters: 24, spread: 0.5, seed: 42).map { $0 }
    }

    @Test("below the threshold, vector search is exact")
    func exactSearch() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, vectors, ids) = try await filled(dir, count: 300, threshold: 10_000)
            #expect(try await scrapbook.indexReport().kind == .exact)
            for query in queries(20) {
                let got = try await scrapbook.nearest(to: query, limit: 10).map(\.id)
                #expect(got == bruteForceTop(query, in: vectors, ids: ids, k: 10))
            }
            let hits = try await scrapbook.search(vector: vectors[7], limit: 3)
            #expect(hits.first?.memory.text == "v7")
            #expect(abs((hits.first?.similarity ?? 0) - 1) < 1e-4)
        }
    }

    @Test("a query vector of the wrong dimension is a clear typed error")
    func wrongDimension() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, _, _) = try await filled(dir, count: 10, threshold: 10_000)
            let error = await expectScrapbookError(.dimensionMismatch) {
                try await scrapbook.search(vector: [Float](repeating: 1, count: 7))
            }
            #expect(error?.message.contains("dimension 7") == true)
            #expect(error?.message.contains("dimension 32") == true)
            await expectScrapbookError(.invalidArgument) {
                try await scrapbook.search(vector: [Float](repeating: .nan, count: 32))
            }
            await expectScrapbookError(.invalidArgument) {
                try await scrapbook.search(vector: [Float](repeating: 1, count: 32), nprobe: 0)
            }
        }
    }

    @Test("crossing the threshold trains an IVF index with good recall; probing every partition is exact")
    func ivfRecall() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, vectors, ids) = try await filled(dir, count: 2_400, threshold: 1_000)
            let report = await scrapbook.indexReport()
            #expect(report.kind == .ivf)
            // Trained at 1,000 (the threshold), retrained at 2,000 (twice that): √2000 ≈ 45 partitions.
            #expect(report.trainedOn == 2_000)
            #expect(report.partitionCount == 45)
            #expect(report.vectorCount == 2_400)
            var found = 0
            for query in queries(50) {
                let truth = bruteForceTop(query, in: vectors, ids: ids, k: 10)
                let approximate = try await scrapbook.nearest(to: query, limit: 10, nprobe: 8).map(\.id)
                found += Set(truth).intersection(approximate).count
                let exhaustive = try await scrapbook.nearest(to: query, limit: 10, nprobe: report.partitionCount).map(\.id)
                #expect(Set(exhaustive) == Set(truth))
            }
            let recall = Double(found) / 500
            #expect(recall >= 0.9, "recall@10 at nprobe 8 was \(recall)")
            // Fewer probes scan fewer vectors, and recall can only grow with nprobe.
            var previous = 0.0
            for nprobe in [1, 4, 16, 45] {
                var hits = 0
                for query in queries(30) {
                    let truth = Set(bruteForceTop(query, in: vectors, ids: ids, k: 10))
                    hits += truth.intersection(try await scrapbook.nearest(to: query, limit: 10, nprobe: nprobe).map(\.id)).count
                }
                let r = Double(hits) / 300
                #expect(r >= previous)
                previous = r
            }
            #expect(previous == 1)
        }
    }

    @Test("filters keep probing past nprobe until enough matching vectors are seen")
    func filteredIVF() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, vectors, ids) = try await filled(dir, count: 2_000, threshold: 500)
            // Memories created in [0, 40) s and from BABS's reports: a rare subset.
            let filter = MemoryFilter(sources: [.babsReport], personas: ["BABS"], until: Date(timeIntervalSince1970: 40))
            let matching = (0..<40).filter { $0 % 3 == 0 && $0 % 2 == 0 }
            let partitions = await scrapbook.indexReport().partitionCount
            let allowed = Set(matching.map { ids[$0] })
            for query in queries(5) {
                let got = try await scrapbook.nearest(to: query, limit: 5, nprobe: 1, filter: filter).map(\.id)
                #expect(got.count == 5)
                #expect(allowed.isSuperset(of: got))
                let truth = bruteForceTop(query, in: matching.map { vectors[$0] }, ids: matching.map { ids[$0] }, k: 5)
                let exhaustive = try await scrapbook.nearest(to: query, limit: 5, nprobe: partitions, filter: filter).map(\.id)
                #expect(exhaustive == truth)
            }
            let hits = try await scrapbook.search(vector: vectors[0], filter: filter, limit: 50)
            #expect(hits.count == matching.count)
        }
    }

    @Test("the index is persisted: reopening loads it without retraining and answers the same")
    func persistedIndex() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, vectors, _) = try await filled(dir, count: 1_500, threshold: 1_000)
            let before = await scrapbook.indexReport()
            #expect(before.kind == .ivf)
            let answers = try await queries(10).asyncMap { try await scrapbook.nearest(to: $0, limit: 10, nprobe: 3) }
            let database = try Scrapbook.openDatabase(at: dir.databasePath)
            let assignments = try await database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM memory_ivf_assignment") }
            #expect(assignments == 1_500)
            let reopened = try Scrapbook.open(
                path: dir.databasePath, embedder: TableEmbedder(vectors: vectors), configuration: testConfiguration(threshold: 1_000))
            let after = await reopened.indexReport()
            #expect(after.kind == .ivf)
            #expect(after.partitionCount == before.partitionCount)
            #expect(after.trainedOn == before.trainedOn)
            #expect(after.largestPartition == before.largestPartition)
            let again = try await queries(10).asyncMap { try await reopened.nearest(to: $0, limit: 10, nprobe: 3) }
            #expect(again == answers)
        }
    }

    @Test("new memories join the nearest partition on arrival, in memory and on disk")
    func assignmentOnArrival() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, vectors, _) = try await filled(dir, count: 1_200, threshold: 1_000)
            let added = try await scrapbook.add("v5", source: .selfReflection)
            let report = await scrapbook.indexReport()
            #expect(report.vectorCount == 1_201)
            #expect(report.trainedOn == 1_000)  // trained at the threshold; one more memory retrains nothing
            let database = try Scrapbook.openDatabase(at: dir.databasePath)
            let (partition, centroids) = try await database.read { db in
                (try Int.fetchOne(db, sql: "SELECT partition FROM memory_ivf_assignment WHERE memory_id = ?", arguments: [added.id.rawValue]),
                 try Data.fetchAll(db, sql: "SELECT vector FROM memory_ivf_centroid ORDER BY partition").map(VectorMath.floats(blob:)))
            }
            let best = centroids.indices.max { cosine(vectors[5], centroids[$0]) < cosine(vectors[5], centroids[$1]) }
            #expect(partition == best)
            // With one probe the query lands in that partition and finds the new memory.
            let hits = try await scrapbook.nearest(to: vectors[5], limit: 2, nprobe: 1).map(\.id)
            #expect(hits.contains(added.id))
        }
    }

    @Test("the index retrains when it outgrows what it was trained on, or on reindex()")
    func retraining() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, vectors, _) = try await filled(dir, count: 600, threshold: 500) { $0.retrainGrowthFactor = 1.5 }
            #expect(await scrapbook.indexReport().vectorCount == 600)
            #expect(await scrapbook.indexReport().trainedOn == 500)  // trained as it reached the threshold
            try await scrapbook.add((0..<100).map { NewMemory(text: "v\($0)", source: .document) })
            #expect(await scrapbook.indexReport().trainedOn == 500)  // 700 < 1.5 × 500
            try await scrapbook.add((0..<200).map { NewMemory(text: "v\($0)", source: .document) })
            #expect(await scrapbook.indexReport().trainedOn == 900)
            try await scrapbook.add(NewMemory(text: "v1", source: .document))
            let report = try await scrapbook.reindex()
            #expect(report.trainedOn == 901)
            #expect(report.trainingSeconds > 0)
            _ = vectors
        }
    }

    @Test("the index retrains when partitions become unbalanced")
    func retrainOnImbalance() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, vectors, _) = try await filled(dir, count: 1_000, threshold: 1_000) {
                $0.retrainGrowthFactor = 100
                $0.maxImbalance = 3
            }
            let trained = await scrapbook.indexReport()
            #expect(trained.trainedOn == 1_000)
            // Pile copies of one vector into one partition until it is far larger than the mean.
            var retrained = false
            for _ in 0..<20 {
                try await scrapbook.add((0..<50).map { _ in NewMemory(text: "v3", source: .document) })
                if await scrapbook.indexReport().trainedOn > 1_000 {
                    retrained = true
                    break
                }
            }
            #expect(retrained)
            _ = vectors
        }
    }

    @Test("a training that fails to commit leaves the old index in force, in memory and on disk")
    func trainingIsAtomic() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, vectors, _) = try await filled(dir, count: 1_100, threshold: 1_000) { $0.automaticRetraining = false }
            #expect(await scrapbook.indexReport().kind == .exact)
            _ = try await scrapbook.reindex()
            let database = try Scrapbook.openDatabase(at: dir.databasePath)
            func snapshot() async throws -> [String] {
                try await database.read { db in
                    [
                        try String(describing: Row.fetchAll(db, sql: "SELECT partition_count, trained_count, trained_at FROM memory_ivf_state")),
                        try String(describing: Data.fetchAll(db, sql: "SELECT vector FROM memory_ivf_centroid ORDER BY partition").map(\.hashValue)),
                        try String(describing: Row.fetchAll(db, sql: "SELECT * FROM memory_ivf_assignment ORDER BY memory_id")),
                    ]
                }
            }
            let before = try await snapshot()
            let reportBefore = await scrapbook.indexReport()
            try await scrapbook.add((0..<100).map { NewMemory(text: "v\($0)", source: .document) })
            // The commit of the next index fails as a crash mid-write would: nothing of it may stick.
            try await database.write { db in
                try db.execute(sql: "CREATE TRIGGER fail_ivf BEFORE INSERT ON memory_ivf_state BEGIN SELECT RAISE(ABORT, 'simulated crash'); END")
            }
            let afterAdds = try await snapshot()
            await #expect(throws: (any Error).self) { try await scrapbook.reindex() }
            #expect(try await snapshot() == afterAdds)
            #expect(afterAdds[0] == before[0] && afterAdds[1] == before[1])
            let report = await scrapbook.indexReport()
            #expect(report.trainedOn == reportBefore.trainedOn)
            #expect(report.vectorCount == 1_200)
            try await database.write { try $0.execute(sql: "DROP TRIGGER fail_ivf") }
            let reopened = try Scrapbook.open(
                path: dir.databasePath, embedder: TableEmbedder(vectors: vectors), configuration: testConfiguration(threshold: 1_000))
            #expect(await reopened.indexReport().trainedOn == reportBefore.trainedOn)
            #expect(await reopened.indexReport().vectorCount == 1_200)
        }
    }

    @Test("memories added while a training runs join the new index")
    func addsDuringTraining() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, vectors, _) = try await filled(dir, count: 1_500, threshold: 1_000) { $0.automaticRetraining = false }
            async let training = scrapbook.reindex()
            var added: [MemoryID] = []
            for i in 0..<20 {
                added.append(try await scrapbook.add("v\(i)", source: .selfReflection).id)
            }
            _ = try await training
            let report = await scrapbook.indexReport()
            #expect(report.vectorCount == 1_520)
            for (i, id) in added.enumerated() {
                let hits = try await scrapbook.nearest(to: vectors[i], limit: 3, nprobe: report.partitionCount)
                #expect(hits.contains { $0.id == id })
            }
            let database = try Scrapbook.openDatabase(at: dir.databasePath)
            let assigned = try await database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM memory_ivf_assignment") }
            #expect(assigned == 1_520)
        }
    }

    @Test("training is deterministic for a given seed")
    func deterministicTraining() async throws {
        try await withTemporaryDirectory { dir in
            let vectors = clusteredVectors(count: 1_000, dimension: Self.dimension, clusters: 10, spread: 0.5, seed: 7)
            var index = VectorIndex(dimension: Self.dimension)
            for (i, v) in vectors.enumerated() {
                index.insert(id: Int64(i), vector: v, attributes: VectorAttributes(source: 1, persona: 0, createdAt: 0))
            }
            let snapshot = index
            let trainer = IVFTrainer(dimension: Self.dimension, partitionCount: 16, iterations: 10, samplesPerPartition: 40, seed: 99)
            // Training is CPU-bound and synchronous: keep it off the cooperative pool, as the scrapbook does.
            let (a, b) = await OffPool.run { (trainer.train(snapshot), trainer.train(snapshot)) }
            #expect(a.centroids == b.centroids)
            #expect(a.partitions.map(\.ids) == b.partitions.map(\.ids))
            #expect(a.count == 1_000)
            #expect(a.partitions.allSatisfy { $0.count > 0 })
            _ = dir
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
