import Foundation
import GRDB

/// Persists the IVF index (centroids, assignments, state) and loads the vectors of one embedding space into memory.
enum IndexStore {
    /// What the database says about the trained index.
    struct State {
        var space: EmbeddingSpace
        var partitionCount: Int
        var trainedCount: Int
        var trainedAt: Date
    }

    static func state(_ db: Database) throws -> State? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM memory_ivf_state WHERE id = 1") else { return nil }
        return State(
            space: EmbeddingSpace(model: row["model"], dimension: row["dimension"]),
            partitionCount: row["partition_count"], trainedCount: row["trained_count"],
            trainedAt: Date(timeIntervalSince1970: row["trained_at"]))
    }

    /// Builds the in-memory index of `space` from the database: the persisted IVF index when it
    /// matches the space, else an exact one. Vectors whose assignment is missing (or stale) are
    /// placed by nearest centroid and returned, so the caller can persist them.
    static func load(_ db: Database, space: EmbeddingSpace) throws -> (index: VectorIndex, reassigned: [(id: Int64, partition: Int)]) {
        let d = space.dimension
        var index = VectorIndex(dimension: d)
        if let state = try state(db), state.space == space, state.partitionCount > 0 {
            var centroids: [Float] = []
            centroids.reserveCapacity(state.partitionCount * d)
            let blobs = try Data.fetchAll(db, sql: "SELECT vector FROM memory_ivf_centroid ORDER BY partition")
            if blobs.count == state.partitionCount, blobs.allSatisfy({ $0.count == d * 4 }) {
                for blob in blobs { centroids.append(contentsOf: VectorMath.floats(blob: blob)) }
                index = VectorIndex(dimension: d, centroids: centroids, trainedCount: state.trainedCount, codes: AttributeCodes())
            }
        }
        let total = try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM memory_embedding WHERE model = ? AND dimension = ?",
            arguments: [space.model, d]) ?? 0
        if index.isTrained {
            // Exact capacities: partitions grown by appends would hold up to twice their size.
            var sizes = [Int](repeating: 0, count: index.partitions.count)
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT a.partition, COUNT(*) FROM memory_embedding e
                    JOIN memory_ivf_assignment a ON a.memory_id = e.memory_id
                    WHERE e.model = ? AND e.dimension = ? GROUP BY a.partition
                    """,
                arguments: [space.model, d])
            {
                let p: Int = row[0]
                if sizes.indices.contains(p) { sizes[p] = row[1] }
            }
            index.reserve(partitionSizes: sizes)
        } else {
            index.reserve(total)
        }
        var reassigned: [(Int64, Int)] = []
        var scratch = [Float](repeating: 0, count: d)
        let cursor = try Row.fetchCursor(
            db,
            sql: """
                SELECT e.memory_id, e.vector, i.source, i.persona, i.created_at, a.partition
                FROM memory_embedding e JOIN memory_item i ON i.id = e.memory_id
                LEFT JOIN memory_ivf_assignment a ON a.memory_id = e.memory_id
                WHERE e.model = ? AND e.dimension = ?
                ORDER BY a.partition, e.memory_id
                """,
            arguments: [space.model, d])
        while let row = try cursor.next() {
            guard let blob = row.dataNoCopy(atIndex: 1), blob.count == d * 4 else { continue }
            let id: Int64 = row[0]
            scratch.withUnsafeMutableBytes { destination in
                blob.withUnsafeBytes { destination.copyMemory(from: $0) }
            }
            let attributes = index.codes.attributes(source: row[2], persona: row[3], createdAt: row[4])
            var partition: Int? = row[5]
            if index.isTrained, partition == nil || partition! < 0 || partition! >= index.partitions.count {
                partition = index.nearestPartition(to: scratch)
                reassigned.append((id, partition!))
            }
            scratch.withUnsafeBufferPointer {
                index.append(id: id, vector: $0, attributes: attributes, partition: index.isTrained ? partition! : 0)
            }
        }
        index.baselineImbalance = index.balance.imbalance
        return (index, reassigned)
    }

    /// The centroids of the persisted IVF index of `space` with none of its vectors, and how many
    /// each partition holds (centroids first: a search then reads only the partitions it probes).
    /// Nil when there is no such index, or when some vector of the space has no valid assignment
    /// (stored by an older a4ps, or while a training committed): the whole index is then loaded,
    /// which assigns them.
    static func loadSkeleton(_ db: Database, space: EmbeddingSpace) throws -> VectorIndex? {
        guard let centroidsOnly = try loadCentroids(db, space: space) else { return nil }
        let d = space.dimension
        var sizes = [Int](repeating: 0, count: centroidsOnly.partitions.count)
        for row in try Row.fetchAll(db, sql: "SELECT partition, COUNT(*) FROM memory_ivf_assignment GROUP BY partition") {
            let p: Int = row[0]
            guard sizes.indices.contains(p) else { return nil }
            sizes[p] = row[1]
        }
        let vectors = try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM memory_embedding WHERE model = ? AND dimension = ?", arguments: [space.model, d]) ?? 0
        guard sizes.reduce(0, +) == vectors else { return nil }
        return VectorIndex(dimension: d, centroids: centroidsOnly.centroids, trainedCount: centroidsOnly.trainedCount,
                           codes: AttributeCodes(), sizes: sizes)
    }

    /// The persisted IVF index of `space` as centroids with empty partitions (to place vectors); nil without one.
    static func loadCentroids(_ db: Database, space: EmbeddingSpace) throws -> VectorIndex? {
        let d = space.dimension
        guard let state = try state(db), state.space == space, state.partitionCount > 0 else { return nil }
        let blobs = try Data.fetchAll(db, sql: "SELECT vector FROM memory_ivf_centroid ORDER BY partition")
        guard blobs.count == state.partitionCount, blobs.allSatisfy({ $0.count == d * 4 }) else { return nil }
        var centroids: [Float] = []
        centroids.reserveCapacity(state.partitionCount * d)
        for blob in blobs { centroids.append(contentsOf: VectorMath.floats(blob: blob)) }
        return VectorIndex(dimension: d, centroids: centroids, trainedCount: state.trainedCount, codes: AttributeCodes())
    }

    /// The vectors of the given partitions of `space`, as stored up to the vector `through` (what
    /// the index reflects: later ones arrive through catching up), one partition each.
    static func partitions(
        _ db: Database, _ wanted: [Int], space: EmbeddingSpace, through: Int64, sizes: [Int], codes: inout AttributeCodes
    ) throws -> [Int: VectorPartition] {
        let d = space.dimension
        var loaded: [Int: VectorPartition] = [:]
        for p in wanted {
            var partition = VectorPartition()
            partition.reserve(sizes[p], dimension: d)
            loaded[p] = partition
        }
        let statement = try db.cachedStatement(sql: """
            SELECT a.memory_id, e.vector, i.source, i.persona, i.created_at
            FROM memory_ivf_assignment a
            JOIN memory_embedding e ON e.memory_id = a.memory_id AND e.model = ? AND e.dimension = ?
            JOIN memory_item i ON i.id = a.memory_id
            WHERE a.partition = ? AND e.rowid <= ?
            ORDER BY a.memory_id
            """)
        var scratch = [Float](repeating: 0, count: d)
        for p in wanted {
            let cursor = try Row.fetchCursor(statement, arguments: [space.model, d, p, through])
            while let row = try cursor.next() {
                guard let blob = row.dataNoCopy(atIndex: 1), blob.count == d * 4 else { continue }
                let attributes = codes.attributes(source: row[2], persona: row[3], createdAt: row[4])
                scratch.withUnsafeMutableBytes { destination in
                    blob.withUnsafeBytes { destination.copyMemory(from: $0) }
                }
                scratch.withUnsafeBufferPointer { loaded[p]!.append(id: row[0], vector: $0, attributes: attributes) }
            }
        }
        return loaded
    }

    /// The vectors of `space` stored after the vector `after` and up to `through` (rowids of
    /// `memory_embedding`, see ``IndexWatermark``), with what the index filters on.
    static func vectors(_ db: Database, space: EmbeddingSpace, after: Int64, through: Int64) throws -> [Scrapbook.Arrival] {
        let d = space.dimension
        return try Row.fetchAll(
            db,
            sql: """
                SELECT e.memory_id, e.vector, i.source, i.persona, i.created_at
                FROM memory_embedding e JOIN memory_item i ON i.id = e.memory_id
                WHERE e.rowid > ? AND e.rowid <= ? AND e.model = ? AND e.dimension = ?
                ORDER BY e.rowid
                """,
            arguments: [after, through, space.model, d]
        ).compactMap { row in
            guard let blob = row["vector"] as Data?, blob.count == d * 4 else { return nil }
            return Scrapbook.Arrival(
                id: row["memory_id"], vector: VectorMath.floats(blob: blob), source: row["source"],
                persona: row["persona"], createdAt: row["created_at"])
        }
    }

    /// Replaces the persisted index with `index`, atomically with the caller's transaction.
    static func save(_ db: Database, _ index: VectorIndex, space: EmbeddingSpace, trainedAt: Date) throws {
        try clear(db)
        let centroid = try db.cachedStatement(sql: "INSERT INTO memory_ivf_centroid(partition, vector) VALUES (?, ?)")
        let d = index.dimension
        for p in 0..<index.partitions.count {
            try centroid.execute(arguments: [p, VectorMath.blob(Array(index.centroids[p * d..<(p + 1) * d]))])
        }
        try saveAssignments(db, index.assignments())
        try db.execute(
            sql: """
                INSERT INTO memory_ivf_state(id, model, dimension, partition_count, trained_count, trained_at)
                VALUES (1, ?, ?, ?, ?, ?)
                """,
            arguments: [space.model, space.dimension, index.partitions.count, index.trainedCount, trainedAt.timeIntervalSince1970])
    }

    static func saveAssignments(_ db: Database, _ assignments: [(id: Int64, partition: Int)]) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO memory_ivf_assignment(memory_id, partition) VALUES (?, ?)")
        for (id, partition) in assignments {
            try statement.execute(arguments: [id, partition])
        }
    }

    static func clear(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM memory_ivf_assignment; DELETE FROM memory_ivf_centroid; DELETE FROM memory_ivf_state")
    }
}
