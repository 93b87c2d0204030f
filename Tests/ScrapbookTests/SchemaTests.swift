import Foundation
import GRDB
import Testing

@testable import Scrapbook

@Suite("Schema and migrations")
struct SchemaTests {
    @Test("migrations are named scrapbook.* and create only memory_* tables, next to the image's own")
    func migrationsAreNamespaced() async throws {
        try await withTemporaryDirectory { dir in
            let database = try Scrapbook.openDatabase(at: dir.databasePath)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("image.v1") { db in
                try db.execute(sql: "CREATE TABLE proto (name TEXT PRIMARY KEY)")
            }
            Scrapbook.registerMigrations(in: &migrator)
            #expect(migrator.migrations.filter { $0 != "image.v1" }.allSatisfy { $0.hasPrefix("scrapbook.") })
            try await database.read { try Scrapbook.checkCompatibility($0) }
            try migrator.migrate(database)
            let tables = try await database.read { db in
                try String.fetchAll(
                    db,
                    sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'memory_fts_%'")
            }
            let ours = Set(tables).subtracting(["proto", "grdb_migrations"])
            #expect(!ours.isEmpty)
            #expect(ours.allSatisfy { $0.hasPrefix("memory_") }, "\(ours)")
            // The scrapbook opens on the image's database.
            let scrapbook = try Scrapbook(database: database, embedder: WordHashEmbedder())
            try await scrapbook.add("hello image", source: .userDialogue)
            #expect(try await scrapbook.count() == 1)
        }
    }

    @Test("the standalone database is in WAL mode")
    func standaloneIsWAL() async throws {
        try await withTemporaryDirectory { dir in
            _ = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder())
            let database = try Scrapbook.openDatabase(at: dir.databasePath)
            let mode = try await database.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
        }
    }

    @Test("a database written by a newer a4ps is refused and left untouched")
    func newerSchemaIsRefused() async throws {
        try await withTemporaryDirectory { dir in
            let database = try Scrapbook.openDatabase(at: dir.databasePath)
            try await database.write { db in
                try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
                try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('scrapbook.v99')")
            }
            let error = await expectScrapbookError(.newerSchema) { try Scrapbook.migrate(database) }
            #expect(error?.message.contains("newer a4ps") == true)
            #expect(error?.message.contains("scrapbook.v99") == true)
            await expectScrapbookError(.newerSchema) {
                try Scrapbook(database: database, embedder: WordHashEmbedder())
            }
            await expectScrapbookError(.newerSchema) {
                try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder())
            }
            let tables = try await database.read {
                try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE name LIKE 'memory_%'")
            }
            #expect(tables.isEmpty, "nothing may be created in a newer database: \(tables)")
            let applied = try await database.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }
            #expect(applied == ["scrapbook.v99"])
        }
    }

    @Test("opening a database without the Scrapbook migrations says how to fix it")
    func notMigrated() async throws {
        try await withTemporaryDirectory { dir in
            let database = try Scrapbook.openDatabase(at: dir.databasePath)
            let error = await expectScrapbookError(.notMigrated) {
                try Scrapbook(database: database, embedder: WordHashEmbedder())
            }
            #expect(error?.message.contains("registerMigrations") == true)
        }
    }

    @Test("migrating twice is harmless")
    func migrateIsIdempotent() async throws {
        try await withTemporaryDirectory { dir in
            let first = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder())
            try await first.add("kept", source: .document)
            let second = try Scrapbook.open(path: dir.databasePath, embedder: WordHashEmbedder())
            #expect(try await second.count() == 1)
        }
    }
}
