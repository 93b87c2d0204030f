import Foundation
import GRDB
import Testing

@testable import Scrapbook

@Suite("Documents and passages")
struct DocumentTests {
    static let article: String = (1...30).map { p in
        (1...6).map { s in "Paragraph \(p) sentence \(s) talks about topic\(p) and idea\(s)." }.joined(separator: " ")
    }.joined(separator: "\n\n")

    @Test("passages respect the size, overlap, and cover every word in order")
    func splitting() {
        let splitter = PassageSplitter(options: .init(maxCharacters: 500, overlapCharacters: 120))
        let passages = splitter.split(Self.article)
        #expect(passages.count > 5)
        #expect(passages.allSatisfy { !$0.isEmpty && $0.count <= 500 })
        let words = Self.article.split(whereSeparator: \.isWhitespace)
        var covered = Set<Int>()
        var cursor = 0
        for passage in passages {
            let passageWords = passage.split(whereSeparator: \.isWhitespace)
            // Each passage is a run of the document's words, starting at or before where the last one ended.
            guard let start = (0...cursor).reversed().first(where: { words[$0...].starts(with: passageWords) }) else {
                Issue.record("passage is not a contiguous run of the document: \(passage.prefix(60))")
                return
            }
            covered.formUnion(start..<start + passageWords.count)
            cursor = start + passageWords.count
        }
        #expect(covered.count == words.count)
        // Consecutive passages overlap (the article's paragraphs are short enough to carry over).
        let overlapping = zip(passages, passages.dropFirst()).filter { a, b in
            let firstOfNext = b.split(separator: ".").first.map(String.init) ?? ""
            return a.contains(firstOfNext)
        }
        #expect(overlapping.count >= passages.count / 2)
    }

    @Test("overlong sentences and words are cut to fit")
    func hardSplits() {
        let splitter = PassageSplitter(options: .init(maxCharacters: 40, overlapCharacters: 10))
        let long = String(repeating: "x", count: 130) + " " + (1...30).map { "w\($0)" }.joined(separator: " ")
        let passages = splitter.split(long)
        #expect(passages.allSatisfy { $0.count <= 40 })
        #expect(passages.joined().filter { $0 == "x" }.count >= 130)
        #expect(passages.contains { $0.contains("w30") })
        #expect(splitter.split(" \n\n \t ").isEmpty)
    }

    @Test("ingesting a file stores overlapping passages with source document, and a second ingest adds nothing")
    func ingestFile() async throws {
        try await withTemporaryDirectory { dir in
            var configuration = testConfiguration(batch: 8)
            configuration.passages = .init(maxCharacters: 600, overlapCharacters: 150)
            let embedder = WordHashEmbedder()
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: embedder, configuration: configuration)
            let file = try dir.file("notes.md", contents: Data(Self.article.utf8))
            let report = try await scrapbook.ingest(fileAt: file, persona: "BABS", runID: "r1")
            #expect(report.title == "notes.md")
            #expect(report.passageCount > 5)
            #expect(report.added.count == report.passageCount)
            #expect(report.alreadyStored == 0)
            let first = try #require(try await scrapbook.memory(report.added[0]))
            #expect(first.source == .document)
            #expect(first.persona == "BABS")
            #expect(first.passage == DocumentPassage(title: "notes.md", documentKey: report.documentKey, index: 0))
            let hits = try await scrapbook.search("topic17 idea3", mode: .hybrid, filter: MemoryFilter(sources: [.document]), limit: 3)
            #expect(hits.first?.memory.text.contains("topic17 and idea3") == true)
            let calls = embedder.callCount
            let again = try await scrapbook.ingest(fileAt: file)
            #expect(again.added.isEmpty)
            #expect(again.alreadyStored == report.passageCount)
            #expect(embedder.callCount == calls)
            let stats = try await scrapbook.stats()
            #expect(stats.documentCount == 1)
            #expect(stats.countsBySource[.document] == report.passageCount)
        }
    }

    @Test("an ingestion interrupted by the embedder keeps what it stored; ingesting again adds only the rest")
    func ingestResumes() async throws {
        try await withTemporaryDirectory { dir in
            var configuration = testConfiguration(batch: 4)
            configuration.passages = .init(maxCharacters: 300, overlapCharacters: 60)
            let flaky = FlakyEmbedder(WordHashEmbedder(), failAt: 3)
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: flaky, configuration: configuration)
            let error = await expectScrapbookError(.embedderFailed) {
                try await scrapbook.ingest(document: Self.article, title: "article")
            }
            #expect(error?.message.contains("ingest it again") == true)
            #expect(try await scrapbook.count() == 8)  // two whole batches, nothing of the third
            flaky.heal()
            let report = try await scrapbook.ingest(document: Self.article, title: "article")
            #expect(report.alreadyStored == 8)
            #expect(report.added.count == report.passageCount - 8)
            #expect(try await scrapbook.count() == report.passageCount)
            let database = try Scrapbook.openDatabase(at: dir.databasePath)
            let indexes = try await database.read { try Int.fetchAll($0, sql: "SELECT passage_index FROM memory_item ORDER BY passage_index") }
            #expect(indexes == Array(0..<report.passageCount))
        }
    }

    @Test("bad documents are refused with clear errors")
    func badDocuments() async throws {
        try await withTemporaryDirectory { dir in
            var configuration = testConfiguration()
            configuration.maxDocumentBytes = 10_000
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: configuration)
            let latin1 = try dir.file("latin1.txt", contents: Data([0x63, 0x61, 0x66, 0xE9, 0x20, 0x6E, 0x6F, 0x69, 0x72]))
            let e1 = await expectScrapbookError(.unreadableDocument) { try await scrapbook.ingest(fileAt: latin1) }
            #expect(e1?.message.contains("not UTF-8") == true)
            let binary = try dir.file("image.bin", contents: Data([0x41, 0x00, 0x42]))
            await expectScrapbookError(.unreadableDocument) { try await scrapbook.ingest(fileAt: binary) }
            let missing = dir.url.appendingPathComponent("missing.txt")
            let e2 = await expectScrapbookError(.unreadableDocument) { try await scrapbook.ingest(fileAt: missing) }
            #expect(e2?.message.contains("missing.txt") == true)
            await expectScrapbookError(.unreadableDocument) { try await scrapbook.ingest(fileAt: dir.url) }
            let empty = try dir.file("empty.txt", contents: Data("  \n\n ".utf8))
            await expectScrapbookError(.emptyText) { try await scrapbook.ingest(fileAt: empty) }
            let huge = try dir.file("huge.txt", contents: Data(String(repeating: "word ", count: 3_000).utf8))
            let e3 = await expectScrapbookError(.textTooLarge) { try await scrapbook.ingest(fileAt: huge) }
            #expect(e3?.message.contains("15000 bytes") == true)
            await expectScrapbookError(.textTooLarge) {
                try await scrapbook.ingest(document: String(repeating: "word ", count: 3_000), title: "huge")
            }
            #expect(try await scrapbook.count() == 0)
            // A BOM is not part of the text.
            let bom = try dir.file("bom.txt", contents: Data([0xEF, 0xBB, 0xBF] + Array("café crème".utf8)))
            let report = try await scrapbook.ingest(fileAt: bom)
            #expect(try await scrapbook.memory(report.added[0])?.text == "café crème")
        }
    }

    @Test("a long document is split, not refused, below the hard cap")
    func longDocumentIsSplit() async throws {
        try await withTemporaryDirectory { dir in
            let scrapbook = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder(), configuration: testConfiguration(batch: 64))
            let text = String(repeating: Self.article + "\n\n", count: 8)
            let report = try await scrapbook.ingest(document: text, title: "long")
            #expect(report.passageCount > 50)
            #expect(try await scrapbook.count() == report.passageCount)
        }
    }
}
