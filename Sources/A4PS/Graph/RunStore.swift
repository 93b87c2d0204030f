import Foundation
import GRDB
import LivingImage

/// Runs and their checkpoints, in the image file under migrations named `deliberation.vN`.
/// A checkpoint and the run's new position commit in one transaction: the one that commits the
/// node's slot writes (see ``GraphRunner``).
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
        migrator.registerMigration("deliberation.v2") { db in
            // The lease: which process advances a run, until when (it renews while it works).
            try db.execute(sql: """
                ALTER TABLE deliberation_runs ADD COLUMN lease_owner TEXT;
                ALTER TABLE deliberation_runs ADD COLUMN lease_until REAL;
                """)
        }
        migrator.registerMigration("deliberation.v3") { db in
            // The Oracle's scores of a run: one row per scoring (a run may be scored again).
            try db.execute(sql: """
                CREATE TABLE deliberation_scores(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run TEXT NOT NULL REFERENCES deliberation_runs(id),
                    overall REAL NOT NULL,
                    scores TEXT NOT NULL,
                    model TEXT,
                    at REAL NOT NULL);
                CREATE INDEX deliberation_scores_on_run ON deliberation_scores(run, id);
                """)
        }
    }

    /// Takes (or renews) the lease on a run for `owner` until `until`; answers the current holder
    /// and its expiry when another process holds an unexpired lease.
    /// With `takingOverFrom`, also takes a lease that holder still has (a process known to be dead).
    func lease(_ run: String, owner: String, until: Date, now: Date = Date(),
               takingOverFrom dead: String? = nil) throws -> (owner: String, until: Date)? {
        try database.write { db in
            try db.execute(sql: """
                UPDATE deliberation_runs SET lease_owner = ?, lease_until = ?
                WHERE id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < ? OR lease_owner = ?)
                """, arguments: [owner, until.timeIntervalSince1970, run, owner, now.timeIntervalSince1970, dead])
            if db.changesCount == 1 { return nil }
            guard let row = try Row.fetchOne(db, sql: "SELECT lease_owner, lease_until FROM deliberation_runs WHERE id = ?", arguments: [run]),
                  let holder = row["lease_owner"] as String?, let expiry = row["lease_until"] as Double? else {
                throw GraphError(description: "there is no run \(run)")
            }
            return (holder, Date(timeIntervalSince1970: expiry))
        }
    }

    /// Gives the lease back (when the run stops).
    func release(_ run: String, owner: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE deliberation_runs SET lease_owner = NULL, lease_until = NULL WHERE id = ? AND lease_owner = ?",
                           arguments: [run, owner])
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

    /// Records a checkpoint and moves the run to it, in the transaction of `db` (the one that
    /// commits the node's slot writes) — only while `owner` holds the run's lease (else it throws
    /// and the transaction, node's writes included, rolls back).
    func advance(_ run: RunRecord, to checkpoint: Checkpoint, owner: String, in db: Database) throws {
        try checkLease(run.id, owner: owner, db)
        try insert(checkpoint, db)
        try update(run, db)
    }

    /// Updates the run (its status when it stops) while `owner` holds its lease, and releases it.
    func update(_ run: RunRecord, releasingLeaseOf owner: String) throws {
        try database.write { db in
            try checkLease(run.id, owner: owner, db)
            try update(run, db)
            try db.execute(sql: "UPDATE deliberation_runs SET lease_owner = NULL, lease_until = NULL WHERE id = ?", arguments: [run.id])
        }
    }

    private func checkLease(_ run: String, owner: String, _ db: Database) throws {
        let holder = try String.fetchOne(db, sql: "SELECT lease_owner FROM deliberation_runs WHERE id = ?", arguments: [run])
        guard holder == owner else {
            throw GraphError(description: "run \(run) lost its lease to another process (\(holder ?? "none")): that process advances it now")
        }
    }

    func run(_ id: String) throws -> RunRecord? {
        try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM deliberation_runs WHERE id = ?", arguments: [id]).map(Self.run) }
    }

    func runs(limit: Int) throws -> [RunRecord] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM deliberation_runs ORDER BY created_at DESC LIMIT ?", arguments: [limit]).map(Self.run)
        }
    }

    /// The runs of `graph` that finished since `since`, oldest first, each with its final state.
    func finishedRuns(of graph: String, since: Date, limit: Int) throws -> [(run: RunRecord, state: JSONValue)] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.*, c.state AS final_state FROM deliberation_runs r
                JOIN deliberation_checkpoints c ON c.run = r.id AND c.step = r.step
                WHERE r.graph = ? AND r.status = 'done' AND r.updated_at >= ?
                ORDER BY r.updated_at DESC LIMIT ?
                """, arguments: [graph, since.timeIntervalSince1970, limit]).map { row in
                (try Self.run(row), try JSONValue(parsing: row["final_state"] as String))
            }.reversed()
        }
    }

    /// Records one scoring of a run by the Oracle.
    func record(_ score: OracleScore) throws {
        try database.write { db in
            try db.execute(sql: "INSERT INTO deliberation_scores(run, overall, scores, model, at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [score.run, score.overall, score.scores.jsonText, score.model, score.at.timeIntervalSince1970])
        }
    }

    /// Every scoring of a run, oldest first.
    func scores(of run: String) throws -> [OracleScore] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM deliberation_scores WHERE run = ? ORDER BY id", arguments: [run]).map { row in
                OracleScore(run: row["run"], overall: row["overall"], scores: try JSONValue(parsing: row["scores"]),
                            model: row["model"], at: Date(timeIntervalSince1970: row["at"]))
            }
        }
    }

    /// The latest scorings of any run, newest first, each with its run's task.
    func recentScores(limit: Int) throws -> [(score: OracleScore, task: String?)] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.*, c.state AS final_state FROM deliberation_scores s
                LEFT JOIN deliberation_runs r ON r.id = s.run
                LEFT JOIN deliberation_checkpoints c ON c.run = r.id AND c.step = r.step
                ORDER BY s.id DESC LIMIT ?
                """, arguments: [limit]).map { row in
                let score = OracleScore(run: row["run"], overall: row["overall"], scores: try JSONValue(parsing: row["scores"]),
                                        model: row["model"], at: Date(timeIntervalSince1970: row["at"]))
                let state = (row["final_state"] as String?).flatMap { try? JSONValue(parsing: $0) }
                return (score, state?["task"]?.stringValue)
            }
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
