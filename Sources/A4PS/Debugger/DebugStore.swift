import Foundation
import GRDB
import LivingImage

/// Debug sessions in the image file, under migrations named `debugger.vN`.
struct DebugStore: Sendable {
    let database: DatabasePool

    init(database: DatabasePool) throws {
        self.database = database
        var migrator = DatabaseMigrator()
        migrator.registerMigration("debugger.v1") { db in
            try db.execute(sql: """
                CREATE TABLE debug_sessions(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    proto TEXT NOT NULL, selector TEXT NOT NULL, owner TEXT NOT NULL,
                    args TEXT NOT NULL, error TEXT NOT NULL, traceback TEXT, source TEXT NOT NULL,
                    status TEXT NOT NULL, fix_change INTEGER, opened_at REAL NOT NULL)
                """)
        }
        try migrator.migrateShared(database)
    }

    /// Records a new session; nil when the same method (same source) already has an open one.
    func open(_ session: DebugSession) throws -> DebugSession? {
        try database.write { db in
            let alreadyOpen = try Bool.fetchOne(db, sql: """
                SELECT EXISTS(SELECT 1 FROM debug_sessions WHERE owner = ? AND selector = ? AND source = ? AND status = 'open')
                """, arguments: [session.owner, session.selector, session.source]) ?? false
            if alreadyOpen { return nil }
            try db.execute(sql: """
                INSERT INTO debug_sessions(proto, selector, owner, args, error, traceback, source, status, opened_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [session.proto, session.selector, session.owner, session.args.jsonText, session.error,
                                 session.traceback, session.source, session.status.rawValue, session.openedAt.timeIntervalSince1970])
            var saved = session
            saved.id = db.lastInsertedRowID
            return saved
        }
    }

    func close(_ id: Int64, status: DebugSession.Status, fixChange: Int64?) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE debug_sessions SET status = ?, fix_change = ? WHERE id = ?",
                           arguments: [status.rawValue, fixChange, id])
        }
    }

    /// Closes the open sessions of `owner>>selector` (its method was redefined); answers their ids.
    func closeOpen(owner: String, selector: String, fixChange: Int64) throws -> [Int64] {
        try database.write { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM debug_sessions WHERE owner = ? AND selector = ? AND status = 'open'",
                                         arguments: [owner, selector])
            try db.execute(sql: "UPDATE debug_sessions SET status = 'closed', fix_change = ? WHERE owner = ? AND selector = ? AND status = 'open'",
                           arguments: [fixChange, owner, selector])
            return ids
        }
    }

    func session(_ id: Int64) throws -> DebugSession? {
        try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM debug_sessions WHERE id = ?", arguments: [id]).map(Self.session) }
    }

    func sessions(limit: Int) throws -> [DebugSession] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM debug_sessions ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Self.session)
        }
    }

    private static func session(_ row: Row) throws -> DebugSession {
        DebugSession(id: row["id"], proto: row["proto"], selector: row["selector"], owner: row["owner"],
                     args: try JSONValue(parsing: row["args"]), error: row["error"], traceback: row["traceback"],
                     source: row["source"], status: DebugSession.Status(rawValue: row["status"]) ?? .open,
                     fixChange: row["fix_change"], openedAt: Date(timeIntervalSince1970: row["opened_at"]))
    }
}
