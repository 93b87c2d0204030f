import Foundation
import GRDB
import LivingImage

/// The motivator's goals, kept in the image file (migration `motivator.v1`) so that they survive
/// a restart and every a4ps process sees them: any process that observes an event may queue a
/// goal; one motivator at a time pursues them, under a lease it renews.
///
/// Also kept here: the signals the motivator observed (to count repeats, e.g. the same message not
/// understood three times) and the time goals ran (what the daily budget counts).
public struct GoalStore: Sendable {
    let database: DatabasePool

    public init(image: Image) throws {
        database = image.database
        var migrator = DatabaseMigrator()
        Self.registerMigrations(in: &migrator)
        try migrator.migrateShared(database)
    }

    static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("motivator.v1") { db in
            try db.execute(sql: """
                CREATE TABLE motivator_goals(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    title TEXT NOT NULL,
                    args TEXT NOT NULL,
                    key TEXT NOT NULL,
                    priority INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    origin TEXT NOT NULL,
                    reason TEXT,
                    run_id TEXT,
                    outcome TEXT NOT NULL DEFAULT 'null',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    seconds_run REAL NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    started_at REAL,
                    not_before REAL,
                    lease_owner TEXT,
                    lease_until REAL);
                CREATE UNIQUE INDEX motivator_goals_open_key ON motivator_goals(key) WHERE status IN ('queued', 'running', 'deferred');
                CREATE INDEX motivator_goals_status ON motivator_goals(status, priority);
                CREATE TABLE motivator_spans(
                    goal INTEGER NOT NULL REFERENCES motivator_goals(id),
                    started_at REAL NOT NULL,
                    seconds REAL NOT NULL);
                CREATE INDEX motivator_spans_started ON motivator_spans(started_at);
                CREATE TABLE motivator_signals(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    at REAL NOT NULL);
                CREATE INDEX motivator_signals_subject ON motivator_signals(name, subject, at);
                CREATE TABLE architect_requests(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    owner TEXT NOT NULL,
                    what TEXT NOT NULL,
                    started_at REAL NOT NULL,
                    until REAL NOT NULL);
                """)
        }
    }

    /// A goal to queue: what the motivator's rules (ALFRED's `goalFor`) made of an event.
    public struct NewGoal: Sendable {
        public var kind: Goal.Kind
        public var title: String
        public var args: JSONValue
        public var key: String
        public var priority: Int
        public var origin: JSONValue

        public init(kind: Goal.Kind, title: String, args: JSONValue, key: String, priority: Int, origin: JSONValue) {
            self.kind = kind
            self.title = title
            self.args = args
            self.key = key
            self.priority = priority
            self.origin = origin
        }
    }

    /// Queues `goal` (or defers it with `deferral`'s reason until its time), unless an open goal
    /// has its key: then that goal is the answer and `isNew` is false.
    public func enqueue(_ goal: NewGoal, deferral: (reason: String, until: Date?)? = nil,
                        now: Date = Date()) throws -> (goal: Goal, isNew: Bool) {
        try database.write { db in
            if let open = try Row.fetchOne(db, sql: """
                SELECT * FROM motivator_goals WHERE key = ? AND status IN ('queued', 'running', 'deferred')
                """, arguments: [goal.key]) {
                return (try Self.goal(open), false)
            }
            try db.execute(sql: """
                INSERT INTO motivator_goals(kind, title, args, key, priority, status, origin, reason, created_at, updated_at, not_before)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [goal.kind.rawValue, goal.title, goal.args.jsonText, goal.key, goal.priority,
                                 deferral == nil ? "queued" : "deferred", goal.origin.jsonText, deferral?.reason,
                                 now.timeIntervalSince1970, now.timeIntervalSince1970, deferral?.until?.timeIntervalSince1970])
            return (try Self.goal(try Row.fetchOne(db, sql: "SELECT * FROM motivator_goals WHERE id = ?", arguments: [db.lastInsertedRowID])!), true)
        }
    }

    /// Takes the most urgent goal that may run now (queued, or deferred until a time now past) for
    /// `owner`, unless another live motivator is pursuing one (one goal at a time per image).
    public func claimNext(owner: String, leaseSeconds: Double, now: Date = Date()) throws -> Goal? {
        try database.write { db in
            let busy = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM motivator_goals WHERE status = 'running' AND lease_until > ? AND lease_owner != ?
                """, arguments: [now.timeIntervalSince1970, owner]) ?? 0
            guard busy == 0 else { return nil }
            guard let row = try Row.fetchOne(db, sql: """
                SELECT * FROM motivator_goals
                WHERE status = 'queued' OR (status = 'deferred' AND (not_before IS NULL OR not_before <= ?))
                ORDER BY priority DESC, id LIMIT 1
                """, arguments: [now.timeIntervalSince1970]) else { return nil }
            let id: Int64 = row["id"]
            try db.execute(sql: """
                UPDATE motivator_goals SET status = 'running', attempts = attempts + 1, lease_owner = ?, lease_until = ?,
                    started_at = COALESCE(started_at, ?), updated_at = ?, reason = NULL, not_before = NULL WHERE id = ?
                """, arguments: [owner, now.timeIntervalSince1970 + leaseSeconds, now.timeIntervalSince1970, now.timeIntervalSince1970, id])
            return try Self.goal(try Row.fetchOne(db, sql: "SELECT * FROM motivator_goals WHERE id = ?", arguments: [id])!)
        }
    }

    /// Extends `owner`'s lease on goal `id`; false when the goal is no longer its own (cancelled, taken over).
    @discardableResult
    public func renew(_ id: Int64, owner: String, leaseSeconds: Double, now: Date = Date()) throws -> Bool {
        try database.write { db in
            try db.execute(sql: "UPDATE motivator_goals SET lease_until = ? WHERE id = ? AND status = 'running' AND lease_owner = ?",
                           arguments: [now.timeIntervalSince1970 + leaseSeconds, id, owner])
            return db.changesCount == 1
        }
    }

    /// Records the run a goal started (so that after a restart it resumes that run, not a new one).
    public func setRun(_ id: Int64, run: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE motivator_goals SET run_id = ?, updated_at = ? WHERE id = ?", arguments: [run, Date().timeIntervalSince1970, id])
        }
    }

    /// Ends `owner`'s running stretch of goal `id` as `status` (done, failed, or deferred until
    /// `notBefore`), counting `seconds` against the daily budget. A goal cancelled meanwhile stays cancelled.
    @discardableResult
    public func finish(_ id: Int64, owner: String, as status: Goal.Status, reason: String?, outcome: JSONValue = .null,
                       seconds: Double, startedAt: Date, notBefore: Date? = nil, now: Date = Date()) throws -> Goal? {
        try database.write { db in
            try db.execute(sql: "INSERT INTO motivator_spans(goal, started_at, seconds) VALUES (?, ?, ?)",
                           arguments: [id, startedAt.timeIntervalSince1970, seconds])
            try db.execute(sql: """
                UPDATE motivator_goals SET status = ?, reason = ?, outcome = CASE WHEN ? = 'null' THEN outcome ELSE ? END,
                    seconds_run = seconds_run + ?, updated_at = ?, not_before = ?, lease_owner = NULL, lease_until = NULL
                WHERE id = ? AND status = 'running' AND lease_owner = ?
                """, arguments: [status.rawValue, reason, outcome.jsonText, outcome.jsonText, seconds, now.timeIntervalSince1970,
                                 notBefore?.timeIntervalSince1970, id, owner])
            return try Row.fetchOne(db, sql: "SELECT * FROM motivator_goals WHERE id = ?", arguments: [id]).map(Self.goal)
        }
    }

    /// Defers a queued goal (the budget said no) until `until`, with the reason.
    public func deferQueued(_ id: Int64, reason: String, until: Date?, now: Date = Date()) throws {
        try database.write { db in
            try db.execute(sql: """
                UPDATE motivator_goals SET status = 'deferred', reason = ?, not_before = ?, updated_at = ? WHERE id = ? AND status = 'queued'
                """, arguments: [reason, until?.timeIntervalSince1970, now.timeIntervalSince1970, id])
        }
    }

    /// The Architect cancels goal `id`: an open goal stops (a running one at its next step); answers it.
    public func cancel(_ id: Int64, now: Date = Date()) throws -> Goal {
        try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM motivator_goals WHERE id = ?", arguments: [id]) else {
                throw MotivatorError(.noSuchGoal, "there is no goal \(id) (see `a4ps goals list`)")
            }
            let goal = try Self.goal(row)
            guard goal.status.isOpen else {
                throw MotivatorError(.alreadyFinished, "goal \(id) is already \(goal.status.rawValue); there is nothing to cancel")
            }
            try db.execute(sql: """
                UPDATE motivator_goals SET status = 'cancelled', reason = 'cancelled by the Architect', updated_at = ?,
                    lease_owner = NULL, lease_until = NULL WHERE id = ?
                """, arguments: [now.timeIntervalSince1970, id])
            return try Self.goal(try Row.fetchOne(db, sql: "SELECT * FROM motivator_goals WHERE id = ?", arguments: [id])!)
        }
    }

    /// Running goals whose motivator died (its lease ran out, or its process is gone) go back to the
    /// queue, keeping the run they started; answers them.
    public func recover(now: Date = Date()) throws -> [Goal] {
        try database.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM motivator_goals WHERE status = 'running'")
            var recovered: [Goal] = []
            for row in rows {
                let owner: String? = row["lease_owner"]
                let until: Double? = row["lease_until"]
                guard (until ?? 0) <= now.timeIntervalSince1970 || owner.map(LeaseOwner.isDead) ?? true else { continue }
                let id: Int64 = row["id"]
                try db.execute(sql: """
                    UPDATE motivator_goals SET status = 'queued', reason = 'its motivator stopped; resumed from where it was',
                        lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ?
                    """, arguments: [now.timeIntervalSince1970, id])
                recovered.append(try Self.goal(try Row.fetchOne(db, sql: "SELECT * FROM motivator_goals WHERE id = ?", arguments: [id])!))
            }
            return recovered
        }
    }

    /// What goals used of the budget at `now`: goals first started in the last hour, seconds run in the last 24 hours.
    public func usage(now: Date = Date()) throws -> GoalBudget.Usage {
        try database.read { db in
            let started = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM motivator_goals WHERE started_at > ?",
                                           arguments: [now.timeIntervalSince1970 - 3600]) ?? 0
            let seconds = try Double.fetchOne(db, sql: "SELECT COALESCE(SUM(seconds), 0) FROM motivator_spans WHERE started_at > ?",
                                              arguments: [now.timeIntervalSince1970 - 86_400]) ?? 0
            return GoalBudget.Usage(startedLastHour: started, secondsLastDay: seconds)
        }
    }

    /// When the budget frees up again: the hour after the oldest start of the last hour, or the day
    /// after the oldest span of the last day (whichever the veto was about; nil when unknown).
    public func budgetFrees(rule: String, now: Date = Date()) throws -> Date? {
        try database.read { db in
            switch rule {
            case "goals_per_hour":
                return try Double.fetchOne(db, sql: "SELECT MIN(started_at) FROM motivator_goals WHERE started_at > ?",
                                           arguments: [now.timeIntervalSince1970 - 3600]).map { Date(timeIntervalSince1970: $0 + 3600) }
            case "model_seconds_per_day":
                return try Double.fetchOne(db, sql: "SELECT MIN(started_at) FROM motivator_spans WHERE started_at > ?",
                                           arguments: [now.timeIntervalSince1970 - 86_400]).map { Date(timeIntervalSince1970: $0 + 86_400) }
            default:
                return nil
            }
        }
    }

    /// The earliest time a deferred goal may run again (to wake for it), if any waits for a time.
    public func nextWake() throws -> Date? {
        try database.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(not_before) FROM motivator_goals WHERE status = 'deferred' AND not_before IS NOT NULL")
                .map(Date.init(timeIntervalSince1970:))
        }
    }

    // MARK: Signals

    /// Records that event `name` about `subject` was observed; answers how many times within `window` seconds (this one included).
    public func recordSignal(_ name: String, subject: String, payload: JSONValue, window: Double = 86_400, now: Date = Date()) throws -> Int {
        try database.write { db in
            try db.execute(sql: "INSERT INTO motivator_signals(name, subject, payload, at) VALUES (?, ?, ?, ?)",
                           arguments: [name, subject, payload.jsonText, now.timeIntervalSince1970])
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM motivator_signals WHERE name = ? AND subject = ? AND at > ?",
                                    arguments: [name, subject, now.timeIntervalSince1970 - window]) ?? 1
        }
    }

    /// Signals named `name` since `since`, newest first: `(subject, payload, at)`.
    public func signals(_ name: String, since: Date, limit: Int = 200) throws -> [(subject: String, payload: JSONValue, at: Date)] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM motivator_signals WHERE name = ? AND at > ? ORDER BY id DESC LIMIT ?",
                             arguments: [name, since.timeIntervalSince1970, limit]).map { row in
                (row["subject"], (try? JSONValue(parsing: row["payload"] as String)) ?? .null, Date(timeIntervalSince1970: row["at"]))
            }
        }
    }

    // MARK: Reading

    public func goal(_ id: Int64) throws -> Goal? {
        try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM motivator_goals WHERE id = ?", arguments: [id]).map(Self.goal) }
    }

    /// Goals, newest first (those with `status` when given).
    public func goals(status: Goal.Status? = nil, limit: Int = 100) throws -> [Goal] {
        try database.read { db in
            if let status {
                return try Row.fetchAll(db, sql: "SELECT * FROM motivator_goals WHERE status = ? ORDER BY id DESC LIMIT ?",
                                        arguments: [status.rawValue, limit]).map(Self.goal)
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM motivator_goals ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Self.goal)
        }
    }

    static func goal(_ row: Row) throws -> Goal {
        Goal(id: row["id"], kind: Goal.Kind(rawValue: row["kind"]) ?? .deliberation, title: row["title"],
             args: (try? JSONValue(parsing: row["args"] as String)) ?? .null, key: row["key"], priority: row["priority"],
             status: Goal.Status(rawValue: row["status"]) ?? .failed, origin: (try? JSONValue(parsing: row["origin"] as String)) ?? .null,
             reason: row["reason"], run: row["run_id"], outcome: (try? JSONValue(parsing: row["outcome"] as String)) ?? .null,
             attempts: row["attempts"], secondsRun: row["seconds_run"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
             updatedAt: Date(timeIntervalSince1970: row["updated_at"]),
             notBefore: (row["not_before"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
