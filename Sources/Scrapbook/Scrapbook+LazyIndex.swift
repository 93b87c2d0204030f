import GRDB

extension Scrapbook {
    /// Whether the vector index is in memory. Opening a scrapbook does not read it, so that a
    /// command that never searches by meaning (text search, adding, stats) costs nothing per
    /// stored vector; the first vector or hybrid search reads it.
    public var isIndexLoaded: Bool { indexLoaded }

    /// Reads the vector index from the file now, unless it is in memory already: for long-running
    /// processes (`a4ps serve`) that want their first search by meaning to be as fast as the next.
    ///
    /// Runs on the scrapbook's own thread, never on the cooperative pool; concurrent callers wait
    /// on the actor and the index is read once.
    public func loadIndexIfNeeded() throws {
        guard !indexLoaded else { return }
        let loaded = try Self.loadIndex(writer)
        space = loaded.space
        index = loaded.index
        watermark = loaded.watermark
        indexLoaded = true
        indexLoads += 1
        logger.debug("loaded the memory index (\(loaded.index?.count ?? 0) vectors)")
    }

    /// Whether an automatic retraining may be due, judged from the file without loading the
    /// index: the stored vectors of ``space`` crossed the exact-search threshold, or grew past
    /// ``ScrapbookConfiguration/retrainGrowthFactor`` × what the persisted index was trained on.
    /// (An imbalance is only seen once the index is loaded.)
    ///
    /// First an upper bound from two rowid lookups; only when that says "maybe" are the vectors
    /// counted (an index scan), so that adding to a large scrapbook stays cheap.
    func retrainingMayBeDue() throws -> Bool {
        guard let space else { return false }
        let threshold = configuration.exactSearchThreshold
        let growth = configuration.retrainGrowthFactor
        return try read { db in
            let state = try IndexStore.state(db)
            let trainedCount = state.flatMap { $0.space == space ? $0.trainedCount : nil }
            func due(_ count: Int) -> Bool {
                guard count >= threshold else { return false }
                guard let trainedCount else { return true }
                return Double(count) >= Double(trainedCount) * growth
            }
            let last = try Int64.fetchOne(db, sql: "SELECT MAX(rowid) FROM memory_embedding") ?? 0
            let first = try Int64.fetchOne(
                db, sql: "SELECT rowid FROM memory_embedding WHERE model = ? AND dimension = ? ORDER BY rowid LIMIT 1",
                arguments: [space.model, space.dimension]) ?? last
            guard due(Int(last - first + 1)) else { return false }
            let count = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM memory_embedding WHERE model = ? AND dimension = ?",
                arguments: [space.model, space.dimension]) ?? 0
            return due(count)
        }
    }

    /// The index report read from the file, for an index not loaded: what ``stats()`` shows
    /// without reading a vector.
    func storedReport(trainingSeconds: Double) throws -> IndexReport {
        guard let space else {
            var empty = report(trainingSeconds: trainingSeconds)
            empty.loaded = false
            return empty
        }
        return try read { db in
            let count = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM memory_embedding WHERE model = ? AND dimension = ?",
                arguments: [space.model, space.dimension]) ?? 0
            let trained = try IndexStore.state(db).flatMap { $0.space == space && $0.partitionCount > 0 ? $0 : nil }
            guard let trained else {
                let kind: IndexReport.Kind = count > 0 ? .exact : .empty
                return IndexReport(
                    kind: kind, vectorCount: count, partitionCount: count > 0 ? 1 : 0, nprobe: count > 0 ? 1 : 0,
                    smallestPartition: count, largestPartition: count, imbalance: 1, trainedOn: 0,
                    trainingSeconds: trainingSeconds, memoryBytes: 0, loaded: false)
            }
            var sizes = [Int](repeating: 0, count: trained.partitionCount)
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT a.partition, COUNT(*) FROM memory_embedding e
                    JOIN memory_ivf_assignment a ON a.memory_id = e.memory_id
                    WHERE e.model = ? AND e.dimension = ? GROUP BY a.partition
                    """,
                arguments: [space.model, space.dimension])
            {
                let p: Int = row[0]
                if sizes.indices.contains(p) { sizes[p] = row[1] }
            }
            let mean = Double(count) / Double(max(1, sizes.count))
            let largest = sizes.max() ?? 0
            return IndexReport(
                kind: .ivf, vectorCount: count, partitionCount: trained.partitionCount,
                nprobe: configuration.probes(for: trained.partitionCount, requested: nil),
                smallestPartition: sizes.min() ?? 0, largestPartition: largest,
                imbalance: mean > 0 ? Double(largest) / mean : 1, trainedOn: trained.trainedCount,
                trainingSeconds: trainingSeconds, memoryBytes: 0, loaded: false)
        }
    }
}

extension Scrapbook {
    /// Reads from the file the partitions a search for `unit` scans that are not in memory yet
    /// (they reflect the file as of ``watermark``; later vectors arrive by catching up).
    func makeResident(for unit: [Float], nprobe: Int?, filtered: Bool) throws {
        guard index?.isPartlyResident == true else { return }
        if watermark == nil { try reload() }
        guard let current = index, current.isPartlyResident else { return }
        let probes = configuration.probes(for: current.partitions.count, requested: nprobe)
        let wanted = current.partitionsToScan(query: unit, nprobe: probes, filtered: filtered).filter { !current.resident[$0] }
        try readPartitions(wanted)
    }

    /// Reads every partition not in memory yet (training and exact copies need all of them).
    func makeFullyResident() throws {
        guard index?.isPartlyResident == true else { return }
        if watermark == nil { try reload() }
        guard let current = index, current.isPartlyResident else { return }
        try readPartitions(current.resident.indices.filter { !current.resident[$0] })
    }

    /// Reads the whole index into memory, a few partitions at a time with searches and additions
    /// served in between, so that no search by meaning waits on the file later: for long-running
    /// processes (`a4ps serve`).
    public func warmIndex() async throws {
        try loadIndexIfNeeded()
        while index?.isPartlyResident == true {
            if watermark == nil { try reload() }
            guard let current = index, current.isPartlyResident else { return }
            try readPartitions(Array(current.resident.indices.lazy.filter { !current.resident[$0] }.prefix(16)))
            await Task.yield()
        }
    }

    private func readPartitions(_ wanted: [Int]) throws {
        guard !wanted.isEmpty, let space, let through = watermark?.lastVector, var codes = index?.codes, let sizes = index?.sizes else { return }
        let loaded = try read { db in
            try IndexStore.partitions(db, wanted, space: space, through: through, sizes: sizes, codes: &codes)
        }
        index!.codes = codes
        for (p, partition) in loaded { index!.fill(p, with: partition) }
        partitionReads += loaded.count
    }
}
