import GRDB

/// The image file's schema, as GRDB migrations whose identifiers start with `image.`.
///
/// Other modules keep their own tables in the same file under their own prefixes
/// (the scrapbook's start with `scrapbook.`); each checks only its own.
enum ImageSchema {
    static let format = "a4ps-image"
    static let migrationPrefix = "image."

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("image.v1") { db in
            try db.execute(sql: """
                CREATE TABLE image_meta(key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                CREATE TABLE protos(
                    name TEXT PRIMARY KEY NOT NULL,
                    parent TEXT,
                    codex TEXT NOT NULL DEFAULT 'null',
                    version INTEGER NOT NULL,
                    updated_at REAL NOT NULL);
                CREATE TABLE slots(
                    proto TEXT NOT NULL REFERENCES protos(name) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    value TEXT NOT NULL,
                    PRIMARY KEY(proto, name)) WITHOUT ROWID;
                CREATE TABLE methods(
                    proto TEXT NOT NULL REFERENCES protos(name) ON DELETE CASCADE,
                    selector TEXT NOT NULL,
                    source TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    PRIMARY KEY(proto, selector)) WITHOUT ROWID;
                CREATE TABLE changes(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at REAL NOT NULL,
                    proto TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    author TEXT NOT NULL,
                    reason TEXT NOT NULL,
                    proto_version INTEGER NOT NULL);
                CREATE INDEX changes_by_proto ON changes(proto, id);
                CREATE TABLE change_deltas(
                    change_id INTEGER NOT NULL REFERENCES changes(id),
                    seq INTEGER NOT NULL,
                    subject TEXT NOT NULL,
                    before TEXT,
                    after TEXT,
                    PRIMARY KEY(change_id, seq)) WITHOUT ROWID;
                """)
            try db.execute(sql: "INSERT INTO image_meta(key, value) VALUES ('format', ?), ('schema', 'image.v1')",
                           arguments: [format])
        }
        // The governor's audit trail (its refusals, kept although the changes they refused were
        // not) and its ledger of budgeted actions (forges started).
        migrator.registerMigration("image.v2") { db in
            try db.execute(sql: """
                CREATE TABLE governor_vetoes(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at REAL NOT NULL,
                    rule TEXT NOT NULL,
                    proto TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    author TEXT NOT NULL,
                    description TEXT NOT NULL,
                    evidence TEXT NOT NULL DEFAULT 'null');
                CREATE INDEX governor_vetoes_by_proto ON governor_vetoes(proto, id);
                CREATE TABLE governor_spending(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    budget TEXT NOT NULL,
                    proto TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    at REAL NOT NULL);
                CREATE INDEX governor_spending_by_budget ON governor_spending(budget, at);
                UPDATE image_meta SET value = 'image.v2' WHERE key = 'schema';
                """)
        }
        ImageSessions.register(in: &migrator)
        ImageStore.registerHistoryIndex(in: &migrator)
        ImageStore.registerChangeBaselines(in: &migrator)
        return migrator
    }
}
