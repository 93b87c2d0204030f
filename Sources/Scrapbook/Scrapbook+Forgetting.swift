import GRDB

extension Scrapbook {
    /// Forgets memories: their text, their vectors (in every embedding space) and their place in
    /// the vector index go, in one transaction. A search skips them at once; the in-memory index
    /// lets go of their vectors at its next training (`a4ps memory reindex`). Answers the ids that
    /// existed; unknown ids are ignored.
    @discardableResult
    public func forget(_ ids: [MemoryID]) throws -> [MemoryID] {
        try write { db in
            var forgotten: [MemoryID] = []
            for id in ids {
                // The vectors and the index assignment go with it (ON DELETE CASCADE); the FTS row by trigger.
                try db.execute(sql: "DELETE FROM memory_item WHERE id = ?", arguments: [id.rawValue])
                if db.changesCount > 0 { forgotten.append(id) }
            }
            return forgotten
        }
    }
}
