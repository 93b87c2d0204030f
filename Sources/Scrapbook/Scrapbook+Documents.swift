import Foundation

extension Scrapbook {
    /// Ingests a UTF-8 text file: splits it into overlapping passages stored with source `document`.
    ///
    /// - Throws: ``ScrapbookError`` `.unreadableDocument` when the file cannot be read, is not
    ///   UTF-8 or looks binary; `.textTooLarge` above ``ScrapbookConfiguration/maxDocumentBytes``;
    ///   `.emptyText` for a blank file; `.embedderFailed` when the embedder fails (the passages
    ///   stored so far stay, and ingesting the same file again adds only the missing ones).
    @discardableResult
    public func ingest(
        fileAt url: URL, persona: String? = nil, runID: String? = nil, createdAt: Date = Date()
    ) async throws -> IngestReport {
        let path = url.path
        let size: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            guard (attributes[.type] as? FileAttributeType) != .typeDirectory else {
                throw ScrapbookError(.unreadableDocument, "\(path) is a directory: give the text files inside it")
            }
            size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        } catch let error as ScrapbookError {
            throw error
        } catch {
            throw ScrapbookError(.unreadableDocument, "cannot read \(path): \(error.localizedDescription); check the path and its permissions")
        }
        guard size <= configuration.maxDocumentBytes else {
            throw ScrapbookError.textTooLarge(
                "the file \(path)", size: size, limit: configuration.maxDocumentBytes,
                hint: "split it into smaller files, or raise ScrapbookConfiguration.maxDocumentBytes")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ScrapbookError(.unreadableDocument, "cannot read \(path): \(error.localizedDescription); check the path and its permissions")
        }
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ScrapbookError(
                .unreadableDocument,
                "\(path) is not UTF-8 text: convert it first (for example `iconv -f latin1 -t utf-8`); only plain text can be ingested")
        }
        guard !text.utf8.contains(0) else {
            throw ScrapbookError(.unreadableDocument, "\(path) contains NUL bytes and looks binary: only plain text can be ingested")
        }
        return try await ingest(document: text, title: url.lastPathComponent, persona: persona, runID: runID, createdAt: createdAt)
    }

    /// Ingests a document's text: splits it into overlapping passages, embeds them in batches and
    /// stores each batch in its own transaction.
    ///
    /// Idempotent: passages are keyed by the document's content, so ingesting the same text again
    /// (after an interrupted or failed run) stores only the passages still missing.
    @discardableResult
    public func ingest(
        document text: String, title: String, persona: String? = nil, runID: String? = nil,
        createdAt: Date = Date()
    ) async throws -> IngestReport {
        let size = text.utf8.count
        guard size <= configuration.maxDocumentBytes else {
            throw ScrapbookError.textTooLarge(
                "the document '\(title)'", size: size, limit: configuration.maxDocumentBytes,
                hint: "split it into smaller documents, or raise ScrapbookConfiguration.maxDocumentBytes")
        }
        guard !text.trimmed.isEmpty else { throw ScrapbookError.emptyText("the document '\(title)'") }
        let options = configuration.passages
        let passages = PassageSplitter(options: options).split(text)
        let key = Self.documentKey(text, options: options)
        let stored = try read { try MemoryStore.storedPassageIndexes($0, documentKey: key) }
        let missing = passages.indices.filter { !stored.contains($0) }
        var added: [MemoryID] = []
        var alreadyStored = passages.count - missing.count
        var start = 0
        while start < missing.count {
            let batch = Array(missing[start..<min(missing.count, start + configuration.embeddingBatchSize)])
            let vectors: [[Float]]
            do {
                vectors = try await embed(batch.map { passages[$0] })
            } catch let error as ScrapbookError where error.code == .embedderFailed {
                throw ScrapbookError(
                    .embedderFailed,
                    "\(error.message) — \(alreadyStored + added.count) of \(passages.count) passages of '\(title)' are stored; ingest it again to add the \(missing.count - start) missing ones")
            }
            let memories = batch.map {
                NewMemory(text: passages[$0], source: .document, persona: persona, runID: runID, createdAt: createdAt)
            }
            let refs = batch.map { DocumentPassage(title: title, documentKey: key, index: $0) }
            let result = try commit(memories, passages: refs, vectors: vectors)
            for memory in result {
                if let memory { added.append(memory.id) } else { alreadyStored += 1 }
            }
            start += batch.count
            await retrainIfNeeded()
        }
        return IngestReport(
            title: title, documentKey: key, passageCount: passages.count, added: added, alreadyStored: alreadyStored)
    }

    /// FNV-1a (64 bits) of the text and the passage options: the same document split the same way has the same key.
    static func documentKey(_ text: String, options: PassageSplitter.Options) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        for byte in text.utf8 { mix(byte) }
        for byte in "|\(options.maxCharacters)|\(options.overlapCharacters)".utf8 { mix(byte) }
        return String(hash, radix: 16)
    }
}
