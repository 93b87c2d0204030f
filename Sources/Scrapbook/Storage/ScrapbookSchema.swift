import GRDB

/// The Scrapbook's tables (`memory_*`) and the migrations that create them, identified `scrapbook.*`.
enum ScrapbookSchema {
    static let migrationPrefix = "scrapbook."

    /// Every migration this build knows, in order. Append, never edit a shipped one.
    static let migrations: [(identifier: String, migrate: @Sendable (Database) throws -> Void)] = [
        ("scrapbook.v1", createVersion1),
        ("scrapbook.v2", addOrigins),
        ("scrapbook.v3", indexAssignmentsByPartition),
    ]

    static var knownIdentifiers: Set<String> { Set(migrations.map(\.identifier)) }

    static func register(in migrator: inout DatabaseMigrator) {
        for migration in migrations {
            migrator.registerMigration(migration.identifier, migrate: migration.migrate)
        }
    }

    /// Throws when the database was migrated by a newer a4ps (unknown `scrapbook.` migrations).
    static func checkNotNewer(_ db: Database) throws {
        guard try db.tableExists("grdb_migrations") else { return }
        let applied = try String.fetchAll(
            db, sql: "SELECT identifier FROM grdb_migrations WHERE identifier LIKE 'scrapbook.%'")
        let unknown = applied.filter { !knownIdentifiers.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw ScrapbookError(
                .newerSchema,
                "this image's memory was written by a newer a4ps (unknown migrations: \(unknown.joined(separator: ", "))): upgrade a4ps to open it; nothing was changed"
            )
        }
    }

    /// Throws when the Scrapbook migrations have not all been applied.
    static func checkMigrated(_ db: Database) throws {
        try checkNotNewer(db)
        let applied: Set<String> =
            try db.tableExists("grdb_migrations")
            ? Set(String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
            : []
        let missing = migrations.map(\.identifier).filter { !applied.contains($0) }
        guard missing.isEmpty else {
            throw ScrapbookError(
                .notMigrated,
                "the database lacks the Scrapbook tables (migrations \(missing.joined(separator: ", ")) not applied): register Scrapbook.registerMigrations(in:) on the image's migrator, or call Scrapbook.migrate(_:)"
            )
        }
    }

    /// Reading one IVF partition without scanning every assignment (a partly resident index reads
    /// the partitions a search probes).
    private static func indexAssignmentsByPartition(_ db: Database) throws {
        try db.execute(sql: "CREATE INDEX memory_ivf_assignment_on_partition ON memory_ivf_assignment(partition, memory_id)")
    }

    /// A memory's origin: an idempotency key, unique when set (see ``NewMemory/origin``).
    private static func addOrigins(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE memory_item ADD COLUMN origin TEXT;
            CREATE UNIQUE INDEX memory_item_on_origin ON memory_item(origin) WHERE origin IS NOT NULL;
            """)
    }

    private static func createVersion1(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE memory_item (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    text TEXT NOT NULL,
                    source TEXT NOT NULL,
                    persona TEXT,
                    run_id TEXT,
                    created_at DOUBLE NOT NULL,
                    document_title TEXT,
                    document_key TEXT,
                    passage_index INTEGER
                );
                CREATE INDEX memory_item_on_source ON memory_item(source, created_at);
                CREATE INDEX memory_item_on_created_at ON memory_item(created_at);
                CREATE UNIQUE INDEX memory_item_on_passage
                    ON memory_item(document_key, passage_index) WHERE document_key IS NOT NULL;

                -- Unit-normalized Float32 vectors (little endian), tagged with their embedding space.
                -- A memory has at most one vector per space: while re-embedding, old and new coexist.
                CREATE TABLE memory_embedding (
                    memory_id INTEGER NOT NULL REFERENCES memory_item(id) ON DELETE CASCADE,
                    model TEXT NOT NULL,
                    dimension INTEGER NOT NULL,
                    vector BLOB NOT NULL,
                    UNIQUE (memory_id, model, dimension)
                );
                CREATE INDEX memory_embedding_on_space ON memory_embedding(model, dimension, memory_id);

                -- The embedding space the index is built for (one row once anything was embedded).
                CREATE TABLE memory_embedding_space (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    model TEXT NOT NULL,
                    dimension INTEGER NOT NULL
                );

                -- The IVF index; replaced as a whole, in one transaction, by each training.
                CREATE TABLE memory_ivf_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    model TEXT NOT NULL,
                    dimension INTEGER NOT NULL,
                    partition_count INTEGER NOT NULL,
                    trained_count INTEGER NOT NULL,
                    trained_at DOUBLE NOT NULL
                );
                CREATE TABLE memory_ivf_centroid (
                    partition INTEGER PRIMARY KEY,
                    vector BLOB NOT NULL
                );
                CREATE TABLE memory_ivf_assignment (
                    memory_id INTEGER PRIMARY KEY REFERENCES memory_item(id) ON DELETE CASCADE,
                    partition INTEGER NOT NULL
                );

                CREATE VIRTUAL TABLE memory_fts USING fts5(
                    text, content = 'memory_item', content_rowid = 'id',
                    tokenize = 'unicode61 remove_diacritics 2'
                );
                CREATE TRIGGER memory_item_after_insert AFTER INSERT ON memory_item BEGIN
                    INSERT INTO memory_fts(rowid, text) VALUES (new.id, new.text);
                END;
                CREATE TRIGGER memory_item_after_delete AFTER DELETE ON memory_item BEGIN
                    INSERT INTO memory_fts(memory_fts, rowid, text) VALUES ('delete', old.id, old.text);
                END;
                CREATE TRIGGER memory_item_after_update AFTER UPDATE OF text ON memory_item BEGIN
                    INSERT INTO memory_fts(memory_fts, rowid, text) VALUES ('delete', old.id, old.text);
                    INSERT INTO memory_fts(rowid, text) VALUES (new.id, new.text);
                END;
                """)
    }
}
