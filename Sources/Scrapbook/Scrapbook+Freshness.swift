import GRDB

extension Scrapbook {
    /// Brings the in-memory index up to date with the file, when other processes (or another
    /// scrapbook on the same file) stored vectors, trained the index or switched models since it
    /// looked: vectors they added join the index as they are (no training); anything else
    /// reloads it. When nothing changed, this costs one small read. An index not yet loaded is
    /// loaded here, and is then up to date.
    func catchUp() throws {
        guard indexLoaded else { return try loadIndexIfNeeded() }
        let (known, space, indexed) = (watermark, space, index != nil)
        let lag = try read { db in try Self.lag(since: known, space: space, indexed: indexed, in: db) }
        absorb(lag)
    }

    /// What an index misses of the file: the vectors to take in as they are (nil: it must be
    /// reloaded), and the watermark it reflects once it has.
    struct Lag {
        var missed: [Arrival]?
        var now: IndexWatermark
    }

    /// Runs an own write of the scrapbook's tables and answers, with its result, what other
    /// processes stored since the index last looked, read in the same transaction: hand it to
    /// ``absorb(_:)`` once the index holds what `body` wrote. Only for a loaded index.
    func writeKeepingUp<T>(_ body: (Database) throws -> T) throws -> (T, Lag) {
        let (known, space, indexed) = (watermark, space, index != nil)
        return try write { db in
            let before = try Self.lag(since: known, space: space, indexed: indexed, in: db)
            let result = try body(db)
            return (result, Lag(missed: before.missed, now: try IndexWatermark.read(db)))
        }
    }

    /// What the file (in the transaction of `db`) holds beyond `known` for an index of `space`.
    private static func lag(since known: IndexWatermark?, space: EmbeddingSpace?, indexed: Bool, in db: Database) throws -> Lag {
        let now = try IndexWatermark.read(db)
        guard now != known else { return Lag(missed: [], now: now) }
        guard let known, known.onlyAdded(now), indexed, let space, now.space == space else { return Lag(missed: nil, now: now) }
        let missed = now.lastVector > known.lastVector
            ? try IndexStore.vectors(db, space: space, after: known.lastVector, through: now.lastVector) : []
        return Lag(missed: missed, now: now)
    }

    /// Takes what the index missed into it (and into the training in progress); when it must be
    /// reloaded, reloads it. A reload that fails leaves the index as it is, for the next search
    /// to try again.
    func absorb(_ lag: Lag) {
        guard let missed = lag.missed else {
            do {
                try reload()
            } catch {
                watermark = nil
                logger.warning("cannot reload the memory index that another process changed (the next search tries again): \(error)")
            }
            return
        }
        for vector in missed {
            let attributes = index!.codes.attributes(source: vector.source, persona: vector.persona, createdAt: vector.createdAt)
            index!.insert(id: vector.id, vector: vector.vector, attributes: attributes)
            arrivals?.append(vector)
        }
        watermark = lag.now
    }

    /// Reloads the space and the index from the file; a training in progress, begun on the old
    /// index, will not replace this one.
    func reload() throws {
        let loaded = try Self.loadIndex(writer)
        space = loaded.space
        index = loaded.index
        watermark = loaded.watermark
        reloads += 1
        logger.info("reloaded the memory index: another process changed it (\(loaded.index?.count ?? 0) vectors)")
    }

    /// The index as the file holds it — the persisted IVF index with its centroids only (its
    /// partitions are read when first probed), or an exact one — and the watermark it reflects.
    /// When some vector has no valid partition, the whole IVF index is read and those vectors are
    /// assigned one, persisted.
    static func loadIndex(_ writer: any DatabaseWriter) throws -> (space: EmbeddingSpace?, index: VectorIndex?, watermark: IndexWatermark) {
        let loaded = try writer.read { db -> (EmbeddingSpace?, VectorIndex?, [(id: Int64, partition: Int)], IndexWatermark) in
            try ScrapbookSchema.checkMigrated(db)
            let watermark = try IndexWatermark.read(db)
            guard let space = watermark.space else { return (nil, nil, [], watermark) }
            // Centroids first: the partitions are read as searches probe them.
            if let skeleton = try IndexStore.loadSkeleton(db, space: space) { return (space, skeleton, [], watermark) }
            let (index, reassigned) = try IndexStore.load(db, space: space)
            return (space, index, reassigned, watermark)
        }
        if !loaded.2.isEmpty {
            try writer.write { try IndexStore.saveAssignments($0, loaded.2) }
        }
        return (loaded.0, loaded.1, loaded.3)
    }
}
