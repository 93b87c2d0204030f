import Foundation
import Testing

@testable import Scrapbook

/// Two scrapbooks on one file, each with its own connections (as two processes have): each one's
/// vector search finds what the other stored, by adding the new vectors to its index — no
/// retraining per search — or by reloading the index when the other one retrained it.
@Suite("Another writer of the same file")
struct OtherWriterTests {
    func open(_ dir: TemporaryDirectory) throws -> Scrapbook {
        var configuration = testConfiguration(threshold: 40)
        // Only the explicit reindex() below retrains.
        configuration.retrainGrowthFactor = 100
        configuration.maxImbalance = 1_000
        return try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
    }

    @Test("a scrapbook finds by vector what another one added since it loaded its index, without retraining")
    func findsWhatAnotherAdded() async throws {
        try await withTemporaryDirectory { dir in
            let writer = try open(dir)
            for i in 0..<50 { try await writer.add("note \(i) on rivers and bridges", source: .selfReflection) }
            let reader = try open(dir)
            let before = await reader.indexReport()
            #expect(before.kind == .ivf && before.vectorCount == 50)

            try await writer.add("the lighthouse keeper paints seagulls at dusk", source: .userDialogue)
            let hits = try await reader.search("lighthouse keeper paints seagulls", mode: .vector, limit: 1)
            #expect(hits.first?.memory.text == "the lighthouse keeper paints seagulls at dusk")
            let after = await reader.indexReport()
            #expect(after.vectorCount == 51)
            #expect(after.trainedOn == before.trainedOn, "the search retrained the index")
            #expect(await reader.reloads == 0, "the search reloaded the whole index for one added vector")

            // Nothing new: the next search changes nothing.
            _ = try await reader.search("rivers", mode: .vector, limit: 1)
            #expect(await reader.indexReport().vectorCount == 51)
        }
    }

    @Test("vectors another scrapbook stored just before this one's own add join its index once")
    func anAddTakesInWhatAnotherStoredFirst() async throws {
        try await withTemporaryDirectory { dir in
            let first = try open(dir)
            try await first.add("a note about owls", source: .selfReflection)
            let second = try open(dir)
            try await second.add("the orchard floods every spring", source: .selfReflection)
            // `first` adds without searching in between: its commit finds the other's vector.
            try await first.add("moths circle the porch lamp", source: .selfReflection)
            #expect(await first.indexReport().vectorCount == 3)
            let hits = try await first.search("orchard floods spring", mode: .vector, limit: 1)
            #expect(hits.first?.memory.text == "the orchard floods every spring")
            #expect(await first.indexReport().vectorCount == 3, "a vector was indexed twice")
            #expect(await first.reloads == 0)
        }
    }

    @Test("when another scrapbook retrains the index, this one reloads it and still finds everything")
    func reloadsAfterAnotherRetrained() async throws {
        try await withTemporaryDirectory { dir in
            let first = try open(dir)
            for i in 0..<45 { try await first.add("entry \(i) about mountain weather", source: .selfReflection) }
            let second = try open(dir)
            for i in 0..<45 { try await second.add("record \(i) about ocean tides", source: .selfReflection) }
            let retrained = try await second.reindex()
            #expect(retrained.vectorCount == 90)

            let hits = try await first.search("record 7 about ocean tides", mode: .vector, limit: 1)
            #expect(hits.first?.memory.text == "record 7 about ocean tides")
            let report = await first.indexReport()
            #expect(report.vectorCount == 90)
            #expect(report.trainedOn == retrained.trainedOn && report.partitionCount == retrained.partitionCount)
            #expect(await first.reloads == 1)
        }
    }
}
