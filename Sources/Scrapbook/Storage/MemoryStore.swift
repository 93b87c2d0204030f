import Foundation
import GRDB

/// The SQL of memories: inserting them with their vectors, fetching them, and full-text search with BM25.
enum MemoryStore {
    /// A memory ready to be written: its fields, its unit vector and the IVF partition it joins.
    struct Row {
        var memory: NewMemory
        var passage: DocumentPassage?
        var vector: [Float]
        var partition: Int?
    }

    // MARK: - Embedding space

    static func space(_ db: Database) throws -> EmbeddingSpace? {
        try GRDB.Row.fetchOne(db, sql: "SELECT model, dimension FROM memory_embedding_space WHERE id = 1")
            .map { EmbeddingSpace(model: $0["model"], dimension: $0["dimension"]) }
    }

    static func setSpace(_ db: Database, _ space: EmbeddingSpace) throws {
        try db.execute(
            sql: """
                INSERT INTO memory_embedding_space(id, model, dimension) VALUES (1, ?, ?)
                ON CONFLICT(id) DO UPDATE SET model = excluded.model, dimension = excluded.dimension
                """,
            arguments: [space.model, space.dimension])
    }

    // MARK: - Writing

    /// Inserts the memories with their vectors (in `space`), and partition assignments where given.
    /// Passages already stored (same document key and index) are skipped: their slot in the result is nil.
    static func insert(_ db: Database, _ rows: [Row], space: EmbeddingSpace) throws -> [Int64?] {
        let item = try db.cachedStatement(
            sql: """
                INSERT INTO memory_item(text, source, persona, run_id, created_at, document_title, document_key, passage_index, origin)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
        let embedding = try db.cachedStatement(
            sql: "INSERT INTO memory_embedding(memory_id, model, dimension, vector) VALUES (?, ?, ?, ?)")
        let assignment = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO memory_ivf_assignment(memory_id, partition) VALUES (?, ?)")
        var ids: [Int64?] = []
        ids.reserveCapacity(rows.count)
        for row in rows {
            if let passage = row.passage,
                try Bool.fetchOne(
                    db, sql: "SELECT 1 FROM memory_item WHERE document_key = ? AND passage_index = ?",
                    arguments: [passage.documentKey, passage.index]) == true
            {
                ids.append(nil)
                continue
            }
            let m = row.memory
            try item.execute(arguments: [
                m.text, m.source.rawValue, m.persona, m.runID, m.createdAt.timeIntervalSince1970,
                row.passage?.title, row.passage?.documentKey, row.passage?.index, m.origin,
            ])
            let id = db.lastInsertedRowID
            try embedding.execute(arguments: [id, space.model, space.dimension, VectorMath.blob(row.vector)])
            if let partition = row.partition {
                try assignment.execute(arguments: [id, partition])
            }
            ids.append(id)
        }
        return ids
    }

    /// Stores (or replaces) the vectors of existing memories in `space`; vectors of other spaces stay.
    static func replaceEmbeddings(_ db: Database, _ vectors: [(id: Int64, vector: [Float])], space: EmbeddingSpace) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO memory_embedding(memory_id, model, dimension, vector) VALUES (?, ?, ?, ?)")
        for (id, vector) in vectors {
            try statement.execute(arguments: [id, space.model, space.dimension, VectorMath.blob(vector)])
        }
    }

    /// Memories that have no vector in the given space, oldest first.
    static func needingEmbedding(_ db: Database, space: EmbeddingSpace, limit: Int) throws -> [(id: Int64, text: String)] {
        try GRDB.Row.fetchAll(
            db,
            sql: """
                SELECT i.id, i.text FROM memory_item i
                WHERE NOT EXISTS (
                    SELECT 1 FROM memory_embedding e WHERE e.memory_id = i.id AND e.model = ? AND e.dimension = ?)
                ORDER BY i.id LIMIT ?
                """,
            arguments: [space.model, space.dimension, limit]
        ).map { ($0["id"], $0["text"]) }
    }

    /// How many memories have no vector of `model` (in `dimension`, when given).
    static func countNeedingEmbedding(_ db: Database, model: String, dimension: Int?) throws -> Int {
        try Int.fetchOne(
            db,
            sql: """
                SELECT COUNT(*) FROM memory_item i
                WHERE NOT EXISTS (
                    SELECT 1 FROM memory_embedding e
                    WHERE e.memory_id = i.id AND e.model = ? AND (? IS NULL OR e.dimension = ?))
                """,
            arguments: [model, dimension, dimension]) ?? 0
    }

    static func firstText(_ db: Database) throws -> String? {
        try String.fetchOne(db, sql: "SELECT text FROM memory_item ORDER BY id LIMIT 1")
    }

    static func storedPassageIndexes(_ db: Database, documentKey: String) throws -> Set<Int> {
        try Set(Int.fetchAll(db, sql: "SELECT passage_index FROM memory_item WHERE document_key = ?", arguments: [documentKey]))
    }

    // MARK: - Reading

    static let memoryColumns = "id, text, source, persona, run_id, created_at, document_title, document_key, passage_index"

    static func memory(_ row: GRDB.Row) -> Memory {
        let title: String? = row["document_title"]
        let key: String? = row["document_key"]
        let index: Int? = row["passage_index"]
        var passage: DocumentPassage?
        if let title, let key, let index {
            passage = DocumentPassage(title: title, documentKey: key, index: index)
        }
        return Memory(
            id: MemoryID(row["id"]), text: row["text"], source: MemorySource(row["source"] as String),
            persona: row["persona"], runID: row["run_id"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]), passage: passage)
    }

    /// The stored memories with these origins, by origin.
    static func memories(_ db: Database, origins: [String]) throws -> [String: Memory] {
        var result: [String: Memory] = [:]
        for origin in Set(origins) {
            if let row = try GRDB.Row.fetchOne(db, sql: "SELECT \(memoryColumns) FROM memory_item WHERE origin = ?", arguments: [origin]) {
                result[origin] = memory(row)
            }
        }
        return result
    }

    static func memories(_ db: Database, ids: [MemoryID]) throws -> [MemoryID: Memory] {
        guard !ids.isEmpty else { return [:] }
        var result: [MemoryID: Memory] = [:]
        // Stay well under SQLite's limit on bound parameters.
        for start in stride(from: 0, to: ids.count, by: 500) {
            let chunk = ids[start..<min(ids.count, start + 500)]
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
            let rows = try GRDB.Row.fetchAll(
                db, sql: "SELECT \(memoryColumns) FROM memory_item WHERE id IN (\(marks))",
                arguments: StatementArguments(chunk.map(\.rawValue)))
            for row in rows {
                let memory = memory(row)
                result[memory.id] = memory
            }
        }
        return result
    }

    /// Full-text search: ids with their BM25 score (lower is better), best first.
    static func textSearch(_ db: Database, match: String, filter: MemoryFilter, limit: Int) throws -> [(id: MemoryID, bm25: Double)] {
        var clauses = ["memory_fts MATCH ?"]
        var arguments: [(any DatabaseValueConvertible)?] = [match]
        appendFilter(filter, prefix: "i.", to: &clauses, arguments: &arguments)
        let sql = """
            SELECT i.id, bm25(memory_fts) AS rank
            FROM memory_fts JOIN memory_item i ON i.id = memory_fts.rowid
            WHERE \(clauses.joined(separator: " AND "))
            ORDER BY rank, i.id LIMIT ?
            """
        arguments.append(limit)
        return try GRDB.Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
            .map { (MemoryID($0["id"]), $0["rank"]) }
    }

    static func appendFilter(
        _ filter: MemoryFilter, prefix: String, to clauses: inout [String],
        arguments: inout [(any DatabaseValueConvertible)?]
    ) {
        if let sources = filter.sources {
            clauses.append("\(prefix)source IN (\(Array(repeating: "?", count: max(1, sources.count)).joined(separator: ",")))")
            arguments.append(contentsOf: sources.isEmpty ? [nil] : sources.map { $0.rawValue as String? })
        }
        if let personas = filter.personas {
            clauses.append("\(prefix)persona IN (\(Array(repeating: "?", count: max(1, personas.count)).joined(separator: ",")))")
            arguments.append(contentsOf: personas.isEmpty ? [nil] : personas.map { $0 as String? })
        }
        if let since = filter.since {
            clauses.append("\(prefix)created_at >= ?")
            arguments.append(since.timeIntervalSince1970)
        }
        if let until = filter.until {
            clauses.append("\(prefix)created_at < ?")
            arguments.append(until.timeIntervalSince1970)
        }
    }
}
