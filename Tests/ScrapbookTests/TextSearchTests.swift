import Foundation
import Testing

@testable import Scrapbook

@Suite("Full-text and hybrid search")
struct TextSearchTests {
    static let corpus: [(String, MemorySource, String?)] = [
        ("BRICK wrote a tool that parses TOML configuration files", .selfReflection, "BRICK"),
        ("ROBIN felt the user was anxious about the deadline", .selfReflection, "ROBIN"),
        ("The user asked how to configure the embedding model", .userDialogue, nil),
        ("BABS found three papers about IVF vector indexes", .babsReport, "BABS"),
        ("IVF indexes partition vectors with k-means; IVF probes a few partitions", .babsReport, "BABS"),
        ("The user likes green tea in the morning", .userDialogue, nil),
    ]

    func filled(_ dir: TemporaryDirectory) async throws -> (Scrapbook, [Memory]) {
        let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder())
        var memories: [Memory] = []
        for (i, entry) in Self.corpus.enumerated() {
            memories.append(
                try await scrapbook.add(
                    entry.0, source: entry.1, persona: entry.2,
                    createdAt: Date(timeIntervalSince1970: 1_000_000 + Double(i) * 3600)))
        }
        return (scrapbook, memories)
    }

    @Test("BM25 ranks the memory with more matches first")
    func bm25Ranking() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, memories) = try await filled(dir)
            let hits = try await scrapbook.search("IVF partitions", mode: .text)
            #expect(hits.map(\.memory.id) == [memories[4].id, memories[3].id])
            #expect(hits[0].score > hits[1].score)
            #expect(hits[0].textRank == 1)
            #expect(try await scrapbook.search("nothing matches zebra", mode: .text).isEmpty)
        }
    }

    @Test("any text is a valid query", arguments: [
        "\"unbalanced quote", "AND OR NOT", "NEAR(IVF tea, 3)", "col:value", "tea*", "^IVF", "(((", "'; DROP TABLE memory_item; --",
        "🍵 tea", "-", "\"\"", "ivf\"tea", "a AND", "NOT", "*", "::", "\u{0}", "\u{301}\u{301}", "e\u{301}",
        String(repeating: "tea OR ", count: 2_000),
    ])
    func anyTextIsValid(query: String) async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, _) = try await filled(dir)
            for mode in SearchMode.allCases {
                _ = try await scrapbook.search(query, mode: mode)
            }
            #expect(try await scrapbook.count() == Self.corpus.count)
        }
    }

    @Test("operators in a query are plain words")
    func operatorsAreWords() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, memories) = try await filled(dir)
            let hits = try await scrapbook.search("tea AND \"morning", mode: .text)
            #expect(hits.first?.memory.id == memories[5].id)
            #expect(FTSQuery.matchExpression(for: "a \"b\" c*") == "\"a\" OR \"b\" OR \"c\"")
            #expect(FTSQuery.matchExpression(for: " !? -- ") == nil)
        }
    }

    @Test("filters by source, persona and time range apply in every mode")
    func filters() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, memories) = try await filled(dir)
            for mode in SearchMode.allCases {
                let bySource = try await scrapbook.search(
                    "user IVF tea", mode: mode, filter: MemoryFilter(sources: [.userDialogue]))
                #expect(!bySource.isEmpty)
                #expect(bySource.allSatisfy { $0.memory.source == .userDialogue }, "\(mode)")
                let byPersona = try await scrapbook.search(
                    "IVF indexes", mode: mode, filter: MemoryFilter(personas: ["BABS"]))
                #expect(Set(byPersona.map(\.memory.id)) == [memories[3].id, memories[4].id], "\(mode)")
                let range = MemoryFilter(
                    since: Date(timeIntervalSince1970: 1_000_000 + 3600), until: Date(timeIntervalSince1970: 1_000_000 + 4 * 3600))
                let inRange = try await scrapbook.search("user IVF tea BRICK ROBIN", mode: mode, filter: range, limit: 10)
                #expect(!inRange.isEmpty)
                #expect(inRange.allSatisfy { [memories[1].id, memories[2].id, memories[3].id].contains($0.memory.id) }, "\(mode)")
                let unknown = try await scrapbook.search("IVF", mode: mode, filter: MemoryFilter(sources: ["nowhere"]))
                #expect(unknown.isEmpty)
            }
        }
    }

    @Test("the limit caps every mode")
    func limit() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, _) = try await filled(dir)
            for mode in SearchMode.allCases {
                #expect(try await scrapbook.search("the user IVF tea", mode: mode, limit: 2).count == 2)
            }
            await expectScrapbookError(.invalidArgument) { try await scrapbook.search("tea", limit: 0) }
            await expectScrapbookError(.invalidArgument) { try await scrapbook.search("tea", limit: Int.max) }
            await expectScrapbookError(.missingQuery) { try await scrapbook.search("  ", mode: .text) }
        }
    }

    @Test("hybrid search fuses both lists: a memory found by words and by meaning comes first")
    func hybridFusion() async throws {
        try await withTemporaryDirectory { dir in
            let (scrapbook, memories) = try await filled(dir)
            let hits = try await scrapbook.search("green tea morning", mode: .hybrid, limit: 3)
            #expect(hits.first?.memory.id == memories[5].id)
            #expect(hits.first?.textRank == 1)
            #expect(hits.first?.vectorRank == 1)
            #expect(hits.map(\.score) == hits.map(\.score).sorted(by: >))
        }
    }

    @Test("reciprocal rank fusion adds 1/(60 + rank) over the lists")
    func reciprocalRankFusion() {
        let a = MemoryID(1)
        let b = MemoryID(2)
        let c = MemoryID(3)
        let fused = ReciprocalRankFusion.fuse([[a, b], [b, c]])
        #expect(fused.map(\.id) == [b, a, c])
        #expect(abs(fused[0].score - (1.0 / 62 + 1.0 / 61)) < 1e-12)
        #expect(abs(fused[1].score - 1.0 / 61) < 1e-12)
    }

    @Test("searching an empty scrapbook returns nothing, without error or embedder call")
    func emptyScrapbook() async throws {
        try await withTemporaryDirectory { dir in
            let embedder = WordHashEmbedder()
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: embedder)
            for mode in SearchMode.allCases {
                #expect(try await scrapbook.search("anything at all", mode: mode).isEmpty)
            }
            #expect(try await scrapbook.search(vector: [1, 2, 3]).isEmpty)
            #expect(embedder.callCount == 0)
        }
    }
}
