import Foundation
import GRDB
import LivingImage

/// Runs and their checkpoints, in the image file under migrations named `deliberation.vN`.
/// A checkpoint and the run's new position commit in one transaction.
struct RunStore: Sendable {
    let database: DatabasePool

    static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("deliberation.v1") { db in
            try db.execute(sql: """
                CREATE TABLE deliberation_runs(
                    id TEXT PRIMARY KEY NOT NULL,
                    graph TEXT NOT NULL,
                    status TEXT NOT NULL,
                    step INTEGER NOT NULL,
                    next TEXT NOT NULL,
                    interrupt TEXT,
                    answers TEXT NOT NULL DEFAULT '[]',
                    error TEXT,
                    forked_from TEXT,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL);
                CREATE TABLE deliberation_checkpoints(
                    run TEXT NOT NULL REFERENCES deliberation_runs(id),
                    step INTEGER NOT NULL,
                    node TEXT,
                    next TEXT NOT NULL,
                    state TEXT NOT NULL,
                    at REAL NOT NULL,
                    duration_ms REAL NOT NULL DEFAULT 0,
                    model_loads INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY(run, step)) WITHOUT ROWID;
                """)
        }
    }

    init(database: DatabasePool) throws {
        self.database = database
        var migrator = DatabaseMigrator()
        Self.registerMigrations(in: &migrator)
        try migrator.migrateShared(database)
    }

    func create(_ run: RunRecord, initial: Checkpoint) throws {
        try database.write { db in
            try insert(run, db)
            try insert(initial, db)
        }
    }

    /// Records a checkpoint and moves the run to it, atomically.
    func advance(_ run: RunRecord, to checkpoint: Checkpoint) throws {
        try database.write { db in
            try insert(checkpoint, db)
            try update(run, db)
        }
    }

    func update(_ run: RunRecord) throws {
        try database.write { try update(run, $0) }
    }

    func run(_ id: String) throws -> RunRecord? {
        try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM deliberation_runs WHERE id = ?", arguments: [id]).map(Self.run) }
    }

    func runs(limit: Int) throws -> [RunRecord] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM deliberation_runs ORDER BY created_at DESC LIMIT ?", arguments: [limit]).map(Self.run)
        }
    }

    func checkpoints(of run: String) throws -> [Checkpoint] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM deliberation_checkpoints WHERE run = ? ORDER BY step", arguments: [run]).map(Self.checkpoint)
        }
    }

    func checkpoint(of run: String, step: Int) throws -> Checkpoint? {
        try database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM deliberation_checkpoints WHERE run = ? AND step = ?", arguments: [run, step]).map(Self.checkpoint)
        }
    }

    private func insert(_ run: RunRecord, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO deliberation_runs(id, graph, status, step, next, interrupt, answers, error, forked_from, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [run.id, run.graph, run.status.rawValue, run.step, run.next, run.interrupt?.jsonText,
                             JSONValue.array(run.answers).jsonText, run.error,
                             run.forkedFrom, run.createdAt.timeIntervalSince1970, run.updatedAt.timeIntervalSince1970])
    }

    private func update(_ run: RunRecord, _ db: Database) throws {
        try db.execute(sql: """
            UPDATE deliberation_runs SET status = ?, step = ?, next = ?, interrupt = ?, answers = ?, error = ?, updated_at = ? WHERE id = ?
            """, arguments: [run.status.rawValue, run.step, run.next, run.interrupt?.jsonText, JSONValue.array(run.answers).jsonText, run.error,
                             run.updatedAt.timeIntervalSince1970, run.id])
    }

    private func insert(_ checkpoint: Checkpoint, _ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO deliberation_checkpoints(run, step, node, next, state, at, duration_ms, model_loads) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [checkpoint.run, checkpoint.step, checkpoint.node, checkpoint.next, checkpoint.state.jsonText,
                             checkpoint.at.timeIntervalSince1970, checkpoint.durationMs, checkpoint.modelLoads])
    }

    private static func run(_ row: Row) throws -> RunRecord {
        RunRecord(id: row["id"], graph: row["graph"], status: RunRecord.Status(rawValue: row["status"]) ?? .failed,
                  step: row["step"], next: row["next"],
                  interrupt: try (row["interrupt"] as String?).map { try JSONValue(parsing: $0) },
                  answers: try JSONValue(parsing: row["answers"]).arrayValue ?? [], error: row["error"],
                  forkedFrom: row["forked_from"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
                  updatedAt: Date(timeIntervalSince1970: row["updated_at"]))
    }

    private static func checkpoint(_ row: Row) throws -> Checkpoint {
        Checkpoint(run: row["run"], step: row["step"], node: row["node"], next: row["next"],
                   state: try JSONValue(parsing: row["state"]), at: Date(timeIntervalSince1970: row["at"]),
                   durationMs: row["duration_ms"], modelLoads: row["model_loads"])
    }
}
