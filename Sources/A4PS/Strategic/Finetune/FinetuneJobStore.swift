import Foundation
import GRDB
import Inference
import JSON
import LivingImage

/// The fine-tune jobs and the adapters they registered, kept in the image file (migration
/// `strategic.v2`): durable across crashes, visible to every process of the image. A worker takes
/// a job with a lease it renews while it works; a job whose worker died is found again by
/// ``recover()``: its trainer's process group is stopped, and it is queued to start over (once)
/// or marked failed — never forgotten.
public struct FinetuneJobStore: Sendable {
    let database: DatabasePool
    /// How long a worker's lease lasts without renewal.
    public static let leaseSeconds: Double = 30
    /// Starts a job may have (the first, and one after a crash of its worker).
    public static let maxAttempts = 2
    /// Log lines kept per job, and characters per line.
    static let logLines = 60
    static let logLineLength = 400

    public init(image: Image) throws {
        database = image.database
        var migrator = DatabaseMigrator()
        migrator.registerMigration("strategic.v2") { db in
            try db.execute(sql: """
                CREATE TABLE finetune_jobs(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    persona TEXT NOT NULL,
                    status TEXT NOT NULL,
                    phase TEXT,
                    trigger TEXT NOT NULL,
                    examples INTEGER NOT NULL,
                    holdout INTEGER NOT NULL,
                    dataset_digest TEXT NOT NULL,
                    adapter_name TEXT NOT NULL DEFAULT '',
                    step INTEGER NOT NULL DEFAULT 0,
                    max_steps INTEGER NOT NULL DEFAULT 0,
                    loss REAL,
                    decision TEXT,
                    reason TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    started_at REAL,
                    finished_at REAL,
                    provenance TEXT NOT NULL DEFAULT '{}',
                    log TEXT NOT NULL DEFAULT '[]',
                    lease_owner TEXT,
                    lease_until REAL,
                    trainer_pid INTEGER,
                    cancel_requested INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX finetune_jobs_status ON finetune_jobs(status);
                CREATE TABLE strategic_adapters(
                    name TEXT PRIMARY KEY,
                    persona TEXT NOT NULL,
                    job INTEGER NOT NULL,
                    gguf TEXT NOT NULL,
                    peft TEXT NOT NULL,
                    base TEXT NOT NULL,
                    registered_at REAL NOT NULL,
                    pruned_at REAL);
                """)
        }
        try migrator.migrateShared(database)
    }

    // MARK: Jobs

    /// Queues a job for `persona`, after `admit` (the governor, given how many jobs started in the
    /// last 24 hours) lets it. A persona has at most one job queued or running.
    public func enqueue(persona: String, trigger: String, examples: Int, holdout: Int, datasetDigest: String,
                       admit: (Int) throws -> Void) throws -> FinetuneJob {
        let now = Date()
        let id: Int64 = try database.write { db in
            if let open = try Row.fetchOne(db, sql: """
                SELECT id, status FROM finetune_jobs WHERE persona = ? AND status IN ('queued', 'running') ORDER BY id LIMIT 1
                """, arguments: [persona]) {
                throw FinetuneError(.busy, "\(persona) already has fine-tune job \(open["id"] as Int64) \(open["status"] as String): "
                    + "wait for it (`a4ps finetune show \(open["id"] as Int64)`) or cancel it (`a4ps finetune cancel \(open["id"] as Int64)`)")
            }
            let today = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM finetune_jobs WHERE created_at > ? AND NOT (status = 'cancelled' AND started_at IS NULL)
                """, arguments: [now.timeIntervalSince1970 - 86_400]) ?? 0
            try admit(today)
            try db.execute(sql: """
                INSERT INTO finetune_jobs(persona, status, trigger, examples, holdout, dataset_digest, created_at)
                VALUES (?, 'queued', ?, ?, ?, ?, ?)
                """, arguments: [persona, trigger, examples, holdout, datasetDigest, now.timeIntervalSince1970])
            let id = db.lastInsertedRowID
            try db.execute(sql: "UPDATE finetune_jobs SET adapter_name = ? WHERE id = ?",
                           arguments: [Self.adapterName(persona: persona, job: id), id])
            return id
        }
        return try job(id)!
    }

    /// The versioned name a job's adapter is served under: `brick-golden-3`.
    public static func adapterName(persona: String, job: Int64) -> String {
        "\(persona.lowercased())-golden-\(job)"
    }

    /// Takes job `id` (or, with nil, the oldest queued one) for `owner`, when no other job runs:
    /// one job at a time per image (the CPU, or the GPU, trains one model at a time).
    public func claim(_ id: Int64? = nil, owner: LeaseOwner) throws -> FinetuneJob? {
        let now = Date().timeIntervalSince1970
        let claimed: Int64? = try database.write { db in
            if let running = try Row.fetchOne(db, sql: "SELECT id, lease_owner FROM finetune_jobs WHERE status = 'running' LIMIT 1") {
                if id == nil { return nil }
                throw FinetuneError(.busy, "fine-tune job \(running["id"] as Int64) is running (\(running["lease_owner"] as String? ?? "?")): "
                    + "one job trains at a time; job \(id!) stays queued")
            }
            let candidate: Int64?
            if let id {
                guard let status = try String.fetchOne(db, sql: "SELECT status FROM finetune_jobs WHERE id = ?", arguments: [id]) else {
                    throw FinetuneError(.noSuchJob, "there is no fine-tune job \(id) (see `a4ps finetune list`)")
                }
                guard status == "queued" else { throw FinetuneError(.notQueued, "fine-tune job \(id) is \(status), not queued") }
                candidate = id
            } else {
                candidate = try Int64.fetchOne(db, sql: "SELECT id FROM finetune_jobs WHERE status = 'queued' ORDER BY id LIMIT 1")
            }
            guard let candidate else { return nil }
            try db.execute(sql: """
                UPDATE finetune_jobs SET status = 'running', phase = 'starting', lease_owner = ?, lease_until = ?,
                    started_at = ?, attempts = attempts + 1, step = 0, trainer_pid = NULL WHERE id = ?
                """, arguments: [owner.description, now + Self.leaseSeconds, now, candidate])
            return candidate
        }
        return try claimed.flatMap(job)
    }

    /// Renews the lease of a running job; false when `owner` lost it.
    @discardableResult
    public func renew(_ id: Int64, owner: LeaseOwner) throws -> Bool {
        try database.write { db in
            try db.execute(sql: "UPDATE finetune_jobs SET lease_until = ? WHERE id = ? AND lease_owner = ? AND status = 'running'",
                           arguments: [Date().timeIntervalSince1970 + Self.leaseSeconds, id, owner.description])
            return db.changesCount == 1
        }
    }

    /// What a running job reports as it goes.
    public struct Report: Sendable {
        public var phase: String?
        public var step: Int?
        public var maxSteps: Int?
        public var loss: Double?
        public var trainerPID: Int32?
        public var log: [String] = []
        public var provenance: [String: JSONValue] = [:]

        public init(phase: String? = nil, step: Int? = nil, maxSteps: Int? = nil, loss: Double? = nil, trainerPID: Int32? = nil,
                    log: [String] = [], provenance: [String: JSONValue] = [:]) {
            self.phase = phase
            self.step = step
            self.maxSteps = maxSteps
            self.loss = loss
            self.trainerPID = trainerPID
            self.log = log
            self.provenance = provenance
        }
    }

    /// Records what a running job reports (while `owner` holds it).
    public func report(_ id: Int64, owner: LeaseOwner, _ report: Report) throws {
        try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT log, provenance FROM finetune_jobs WHERE id = ? AND lease_owner = ?",
                                             arguments: [id, owner.description]) else { return }
            var sets: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let phase = report.phase { sets.append("phase = ?"); arguments.append(phase) }
            if let step = report.step { sets.append("step = ?"); arguments.append(step) }
            if let maxSteps = report.maxSteps { sets.append("max_steps = ?"); arguments.append(maxSteps) }
            if let loss = report.loss { sets.append("loss = ?"); arguments.append(loss) }
            if let pid = report.trainerPID { sets.append("trainer_pid = ?"); arguments.append(Int(pid)) }
            if !report.log.isEmpty {
                var lines = (try? JSONValue(parsing: row["log"] as String))?.arrayValue?.compactMap(\.stringValue) ?? []
                lines += report.log.map { String($0.prefix(Self.logLineLength)) }
                sets.append("log = ?")
                arguments.append(JSONValue.array(lines.suffix(Self.logLines).map { .string($0) }).jsonText)
            }
            if !report.provenance.isEmpty {
                var provenance = (try? JSONValue(parsing: row["provenance"] as String))?.objectValue ?? [:]
                provenance.merge(report.provenance) { $1 }
                sets.append("provenance = ?")
                arguments.append(JSONValue.object(provenance).jsonText)
            }
            guard !sets.isEmpty else { return }
            try db.execute(sql: "UPDATE finetune_jobs SET \(sets.joined(separator: ", ")) WHERE id = ?",
                           arguments: StatementArguments(arguments + [id]))
        }
    }

    /// Ends a running job (while `owner` holds it) and gives its lease back.
    public func finish(_ id: Int64, owner: LeaseOwner, status: FinetuneJob.Status, decision: FinetuneJob.Decision? = nil,
                       reason: String? = nil, provenance: [String: JSONValue] = [:]) throws {
        try report(id, owner: owner, Report(provenance: provenance))
        try database.write { db in
            try db.execute(sql: """
                UPDATE finetune_jobs SET status = ?, decision = ?, reason = ?, finished_at = ?, phase = NULL,
                    lease_owner = NULL, lease_until = NULL, trainer_pid = NULL WHERE id = ? AND lease_owner = ?
                """, arguments: [status.rawValue, decision?.rawValue, reason, Date().timeIntervalSince1970, id, owner.description])
        }
    }

    /// Gives a running job back to the queue, uncounted (its worker is shutting down, not failing).
    public func requeue(_ id: Int64, owner: LeaseOwner, reason: String) throws {
        try database.write { db in
            try db.execute(sql: """
                UPDATE finetune_jobs SET status = 'queued', phase = NULL, reason = ?, attempts = MAX(attempts - 1, 0),
                    lease_owner = NULL, lease_until = NULL, trainer_pid = NULL WHERE id = ? AND lease_owner = ?
                """, arguments: [reason, id, owner.description])
        }
    }

    /// Cancels a job: a queued one at once, a running one when its worker next looks (within a
    /// second or two: it stops its trainer). Answers the job's status after the request.
    @discardableResult
    public func cancel(_ id: Int64) throws -> FinetuneJob.Status {
        try database.write { db in
            guard let status = try String.fetchOne(db, sql: "SELECT status FROM finetune_jobs WHERE id = ?", arguments: [id])
                .flatMap(FinetuneJob.Status.init(rawValue:)) else {
                throw FinetuneError(.noSuchJob, "there is no fine-tune job \(id) (see `a4ps finetune list`)")
            }
            switch status {
            case .queued:
                try db.execute(sql: """
                    UPDATE finetune_jobs SET status = 'cancelled', reason = 'cancelled before it started', finished_at = ? WHERE id = ?
                    """, arguments: [Date().timeIntervalSince1970, id])
                return .cancelled
            case .running:
                try db.execute(sql: "UPDATE finetune_jobs SET cancel_requested = 1 WHERE id = ?", arguments: [id])
                return .running
            default:
                return status
            }
        }
    }

    /// Whether someone asked to cancel job `id`.
    public func isCancelRequested(_ id: Int64) throws -> Bool {
        try database.read { db in try Bool.fetchOne(db, sql: "SELECT cancel_requested FROM finetune_jobs WHERE id = ?", arguments: [id]) ?? false }
    }

    /// Finds the running jobs whose worker is gone (its process died, or its lease ran out): stops
    /// what is left of their trainer, and queues them again — or, past ``maxAttempts``, marks them
    /// failed. Answers the jobs it found.
    @discardableResult
    public func recover(now: Date = Date()) throws -> [FinetuneJob] {
        let stale: [(Int64, Int32?, Int)] = try database.read { db in
            try Row.fetchAll(db, sql: "SELECT id, lease_owner, lease_until, trainer_pid, attempts FROM finetune_jobs WHERE status = 'running'")
                .filter { row in
                    let owner = row["lease_owner"] as String? ?? ""
                    return owner.isEmpty || (row["lease_until"] as Double? ?? 0) < now.timeIntervalSince1970 || LeaseOwner.isDead(owner)
                }
                .map { ($0["id"], ($0["trainer_pid"] as Int?).map(Int32.init), $0["attempts"]) }
        }
        for (id, pid, attempts) in stale {
            if let pid { Self.stopOrphanedTrainer(pid) }
            let again = attempts < Self.maxAttempts
            try database.write { db in
                try db.execute(sql: """
                    UPDATE finetune_jobs SET status = ?, phase = NULL, lease_owner = NULL, lease_until = NULL, trainer_pid = NULL,
                        reason = ?, finished_at = ? WHERE id = ? AND status = 'running'
                    """, arguments: [
                        again ? "queued" : "failed",
                        again ? "its worker stopped during attempt \(attempts) (a4ps was killed or lost its lease); queued to start again"
                              : "its worker stopped during attempt \(attempts) of \(Self.maxAttempts); not started again — run `a4ps finetune PERSONA` for a new job",
                        again ? nil : now.timeIntervalSince1970, id,
                    ])
            }
        }
        return try stale.compactMap { try job($0.0) }
    }

    /// Stops the process group of a trainer whose worker died — only when that process is still a
    /// trainer (its command line names a job spec), never a process that reused the number.
    static func stopOrphanedTrainer(_ pid: Int32) {
        guard pid > 1, let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")),
              String(decoding: cmdline, as: UTF8.self).contains("job-spec.json") else { return }
        kill(-pid, SIGKILL)
    }

    public func job(_ id: Int64) throws -> FinetuneJob? {
        try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM finetune_jobs WHERE id = ?", arguments: [id]).map(Self.job) }
    }

    /// Jobs, newest first (a persona's when given).
    public func jobs(of persona: String? = nil, limit: Int = 50) throws -> [FinetuneJob] {
        try database.read { db in
            var sql = "SELECT * FROM finetune_jobs"
            var arguments: StatementArguments = []
            if let persona { sql += " WHERE persona = ?"; arguments = [persona.uppercased()] }
            return try Row.fetchAll(db, sql: sql + " ORDER BY id DESC LIMIT ?", arguments: arguments + [limit]).map(Self.job)
        }
    }

    /// The examples (training and hold-out) the persona had at its last job, even a cancelled one
    /// (0 before its first): the automatic trigger counts the examples added since.
    public func examplesAtLastJob(of persona: String) throws -> Int {
        try database.read { db in
            try Int.fetchOne(db, sql: "SELECT MAX(examples + holdout) FROM finetune_jobs WHERE persona = ?", arguments: [persona]) ?? 0
        }
    }

    private static func job(_ row: Row) throws -> FinetuneJob {
        FinetuneJob(
            id: row["id"], persona: row["persona"], status: FinetuneJob.Status(rawValue: row["status"]) ?? .failed, phase: row["phase"],
            trigger: row["trigger"], examples: row["examples"], holdout: row["holdout"], datasetDigest: row["dataset_digest"],
            adapterName: row["adapter_name"], step: row["step"], maxSteps: row["max_steps"], loss: row["loss"],
            decision: (row["decision"] as String?).flatMap(FinetuneJob.Decision.init(rawValue:)), reason: row["reason"],
            attempts: row["attempts"], createdAt: Date(timeIntervalSince1970: row["created_at"]),
            startedAt: (row["started_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            finishedAt: (row["finished_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
            provenance: (try? JSONValue(parsing: row["provenance"] as String)) ?? .object([:]),
            log: (try? JSONValue(parsing: row["log"] as String))?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    // MARK: Adapters

    /// An adapter a job registered (kept so that the server serves it again after a restart, until pruned).
    public struct Adapter: Sendable, Hashable {
        public var name: String
        public var persona: String
        public var job: Int64
        public var adapter: LoRAAdapter
        public var registeredAt: Date
        public var prunedAt: Date?
    }

    public func recordAdapter(name: String, persona: String, job: Int64, files: LoRAAdapter) throws {
        try database.write { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO strategic_adapters(name, persona, job, gguf, peft, base, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [name, persona, job, files.ggufPath, files.peftDirectory, files.baseModel, Date().timeIntervalSince1970])
        }
    }

    public func markPruned(_ name: String) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE strategic_adapters SET pruned_at = ? WHERE name = ?", arguments: [Date().timeIntervalSince1970, name])
        }
    }

    /// The adapters, live (not pruned) ones only unless `all`.
    public func adapters(all: Bool = false) throws -> [Adapter] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM strategic_adapters" + (all ? "" : " WHERE pruned_at IS NULL") + " ORDER BY registered_at")
                .map { row in
                    Adapter(name: row["name"], persona: row["persona"], job: row["job"],
                            adapter: LoRAAdapter(ggufPath: row["gguf"], peftDirectory: row["peft"], baseModel: row["base"]),
                            registeredAt: Date(timeIntervalSince1970: row["registered_at"]),
                            prunedAt: (row["pruned_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
                }
        }
    }
}
