import Foundation

extension Scrapbook {
    /// Adds one memory: embeds it, then stores it with its vector in one transaction.
    @discardableResult
    public func add(
        _ text: String, source: MemorySource, persona: String? = nil, runID: String? = nil,
        createdAt: Date = Date()
    ) async throws -> Memory {
        try await add([NewMemory(text: text, source: source, persona: persona, runID: runID, createdAt: createdAt)])[0]
    }

    /// Adds one memory: embeds it, then stores it with its vector in one transaction.
    @discardableResult
    public func add(_ memory: NewMemory) async throws -> Memory {
        try await add([memory])[0]
    }

    /// Adds memories: embeds them all (in batches), then stores them all in one transaction.
    ///
    /// All or nothing: when the embedder fails, nothing is written and the call can simply be
    /// retried. Texts are trimmed; an empty text or one over ``ScrapbookConfiguration/maxMemoryBytes``
    /// is refused (ingest long texts as documents). May retrain the index before returning when
    /// the additions cross a threshold (see ``ScrapbookConfiguration/automaticRetraining``).
    @discardableResult
    public func add(_ memories: [NewMemory]) async throws -> [Memory] {
        guard !memories.isEmpty else { return [] }
        var cleaned = memories
        for i in cleaned.indices {
            cleaned[i].text = try checkedText(cleaned[i].text)
        }
        // Memories whose origin is stored already are answered as stored, neither embedded nor written again.
        let origins = cleaned.compactMap(\.origin)
        let known = origins.isEmpty ? [:] : try read { try MemoryStore.memories($0, origins: origins) }
        let fresh = cleaned.filter { $0.origin.map { known[$0] == nil } ?? true }
        var added: [Memory] = []
        if !fresh.isEmpty {
            let vectors = try await embed(fresh.map(\.text))
            added = try commit(fresh, passages: Array(repeating: nil, count: fresh.count), vectors: vectors).compactMap { $0 }
            await retrainIfNeeded()
        }
        var next = added.makeIterator()
        return cleaned.compactMap { memory in memory.origin.flatMap { known[$0] } ?? next.next() }
    }

    func checkedText(_ text: String) throws -> String {
        let trimmed = text.trimmed
        guard !trimmed.isEmpty else { throw ScrapbookError.emptyText("the memory text") }
        let size = trimmed.utf8.count
        guard size <= configuration.maxMemoryBytes else {
            throw ScrapbookError.textTooLarge(
                "the memory text", size: size, limit: configuration.maxMemoryBytes,
                hint: "store long texts as documents (`a4ps memory ingest FILE`, Scrapbook.ingest(document:title:)), which splits them into passages")
        }
        return trimmed
    }

    /// Writes memories and their unit vectors in one transaction, then indexes them in memory.
    ///
    /// Synchronous on purpose: no other call can run on the actor between choosing partitions
    /// from the current index and committing them. A nil result is a passage already stored.
    func commit(_ memories: [NewMemory], passages: [DocumentPassage?], vectors: [[Float]]) throws -> [Memory?] {
        precondition(memories.count == vectors.count && memories.count == passages.count)
        guard let dimension = vectors.first?.count else { return [] }
        let vectorSpace = EmbeddingSpace(model: embedder.modelName, dimension: dimension)
        guard indexLoaded else { return try commitUnindexed(memories, passages: passages, vectors: vectors, space: vectorSpace) }
        let adopting = space == nil
        let indexed = adopting || space == vectorSpace
        if !indexed, let space {
            logger.warning(
                "storing vectors of \(vectorSpace) while the index is built on \(space): they join the index after reembed()")
        }
        var rows: [MemoryStore.Row] = []
        rows.reserveCapacity(memories.count)
        for i in memories.indices {
            var partition: Int?
            if indexed, let index, index.isTrained {
                partition = index.nearestPartition(to: vectors[i])
            }
            rows.append(MemoryStore.Row(memory: memories[i], passage: passages[i], vector: vectors[i], partition: partition))
        }
        let (ids, lag) = try writeKeepingUp { db -> [Int64?] in
            if adopting { try MemoryStore.setSpace(db, vectorSpace) }
            return try MemoryStore.insert(db, rows, space: vectorSpace)
        }
        if adopting {
            space = vectorSpace
            index = VectorIndex(dimension: dimension)
        }
        if indexed {
            for (row, id) in zip(rows, ids) {
                guard let id else { continue }
                let m = row.memory
                let time = m.createdAt.timeIntervalSince1970
                let attributes = index!.codes.attributes(source: m.source.rawValue, persona: m.persona, createdAt: time)
                index!.insert(id: id, vector: row.vector, attributes: attributes, partition: row.partition)
                arrivals?.append(Arrival(id: id, vector: row.vector, source: m.source.rawValue, persona: m.persona, createdAt: time))
            }
        }
        absorb(lag)
        return Self.stored(rows, ids: ids)
    }

    /// Writes memories and their vectors while the index is not in memory: nothing is read to
    /// place them (their partitions are assigned when the index is loaded, and persisted then),
    /// so adding costs the same on a scrapbook of any size.
    private func commitUnindexed(
        _ memories: [NewMemory], passages: [DocumentPassage?], vectors: [[Float]], space vectorSpace: EmbeddingSpace
    ) throws -> [Memory?] {
        // With an IVF index in the file, each vector is stored with its partition (from the
        // centroids alone), so that a search that reads only the partitions it probes finds it.
        let placement = try centroidsForPlacement(of: vectorSpace)
        let placed = memories.indices.map {
            MemoryStore.Row(memory: memories[$0], passage: passages[$0], vector: vectors[$0],
                            partition: placement?.index.nearestPartition(to: vectors[$0]))
        }
        let (ids, current, rows) = try write { db -> ([Int64?], EmbeddingSpace, [MemoryStore.Row]) in
            // The file, not this actor, says which space is indexed: another process may have set it.
            let now = try IndexWatermark.read(db)
            let current = now.space
            if current == nil { try MemoryStore.setSpace(db, vectorSpace) }
            // Retrained meanwhile: the partitions are numbered anew, so store none (the next load assigns them).
            var rows = placed
            if placement?.trainedAt != now.trainedAt { for i in rows.indices { rows[i].partition = nil } }
            return (try MemoryStore.insert(db, rows, space: vectorSpace), current ?? vectorSpace, rows)
        }
        if current != vectorSpace {
            logger.warning(
                "storing vectors of \(vectorSpace) while the index is built on \(current): they join the index after reembed()")
        }
        space = current
        return Self.stored(rows, ids: ids)
    }

    /// The persisted IVF index's centroids for `space` (read once per training), to place new
    /// vectors without loading the index; nil while the file has no IVF index of that space.
    private func centroidsForPlacement(of vectorSpace: EmbeddingSpace) throws -> (trainedAt: Double, index: VectorIndex)? {
        let watermark = try read { try IndexWatermark.read($0) }
        guard let trainedAt = watermark.trainedAt, watermark.space == vectorSpace else { return nil }
        if let cached = placementCentroids, cached.trainedAt == trainedAt { return cached }
        guard let skeleton = try read({ try IndexStore.loadCentroids($0, space: vectorSpace) }) else { return nil }
        placementCentroids = (trainedAt, skeleton)
        return placementCentroids
    }

    private static func stored(_ rows: [MemoryStore.Row], ids: [Int64?]) -> [Memory?] {
        zip(rows, ids).map { row, id in
            id.map { id in
                let m = row.memory
                return Memory(
                    id: MemoryID(id), text: m.text, source: m.source, persona: m.persona, runID: m.runID,
                    createdAt: m.createdAt, passage: row.passage)
            }
        }
    }
}
