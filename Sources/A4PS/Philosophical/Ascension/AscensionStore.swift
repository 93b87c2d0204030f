import Foundation
import GRDB
import JSON
import LivingImage

/// The ascensions of an image, kept in its file (migration `philosophical.v3`), and the proposals
/// they make: an ascension proposal's id is taken from the one id space of the image's proposals,
/// shared with the codex amendments (``CodexProposalStore``), so `a4ps proposals` lists, shows,
/// approves and rejects both kinds by the same numbers.
public struct AscensionStore: Sendable {
    let database: DatabasePool

    public init(image: Image) throws {
        // The codex amendments' table comes first: ascension proposals take their ids from its sequence.
        _ = try CodexProposalStore(image: image)
        database = image.database
        var migrator = DatabaseMigrator()
        migrator.registerMigration("philosophical.v3") { db in
            try db.execute(sql: """
                CREATE TABLE ascensions(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    persona TEXT NOT NULL,
                    candidate TEXT NOT NULL,
                    current TEXT NOT NULL,
                    base_slot TEXT,
                    status TEXT NOT NULL,
                    phase TEXT,
                    trigger TEXT NOT NULL,
                    base_version INTEGER NOT NULL,
                    clone TEXT,
                    evaluation TEXT,
                    validation TEXT,
                    evidence TEXT NOT NULL DEFAULT '{}',
                    reason TEXT,
                    proposal INTEGER UNIQUE,
                    expires_at REAL,
                    decided_at REAL,
                    note TEXT,
                    change_id INTEGER,
                    rollback_to INTEGER,
                    finetune_job INTEGER,
                    recuration TEXT,
                    served TEXT NOT NULL DEFAULT '{}',
                    owner TEXT,
                    created_at REAL NOT NULL,
                    finished_at REAL);
                CREATE INDEX ascensions_persona ON ascensions(persona, status);
                """)
        }
        try migrator.migrateShared(database)
    }

    // MARK: Running

    /// Records a new ascension, running, for `owner`. Refused when the persona has one running in a
    /// live process, or the same candidate already waits for the Architect.
    func begin(persona: String, candidate: String, current: String, baseSlot: JSONValue?, baseVersion: Int64, trigger: String,
               owner: LeaseOwner, now: Date = Date()) throws -> AscensionRecord {
        let id: Int64 = try database.write { db in
            for row in try Row.fetchAll(db, sql: "SELECT id, candidate, status, owner, proposal FROM ascensions WHERE persona = ? AND status IN ('running', 'proposed')",
                                        arguments: [persona]) {
                let other: Int64 = row["id"]
                if row["status"] as String == "running", !LeaseOwner.isDead((row["owner"] as String?) ?? "") {
                    throw AscensionError(.busy, "\(persona) has ascension \(other) under way (to \(row["candidate"] as String)): "
                        + "wait for it (`a4ps ascend show \(other)`)")
                }
                if row["status"] as String == "proposed", row["candidate"] as String == candidate {
                    let proposal = row["proposal"] as Int64? ?? other
                    throw AscensionError(.busy, "the ascension of \(persona) to \(candidate) already waits for the Architect as proposal \(proposal): "
                        + "decide it (`a4ps proposals show \(proposal)`)")
                }
            }
            try db.execute(sql: """
                INSERT INTO ascensions(persona, candidate, current, base_slot, status, phase, trigger, base_version, owner, created_at)
                VALUES (?, ?, ?, ?, 'running', 'checking', ?, ?, ?, ?)
                """, arguments: [persona, candidate, current, baseSlot?.jsonText, trigger, baseVersion, owner.description, now.timeIntervalSince1970])
            return db.lastInsertedRowID
        }
        return try require(id)
    }

    /// What one step of a running ascension changes in its record (nil: unchanged; objects merge key by key).
    struct Update: Sendable {
        var phase: String?
        var clone: JSONValue??
        var evaluation: JSONValue?
        var validation: JSONValue?
        var evidence: [String: JSONValue] = [:]
        var served: [String: JSONValue] = [:]
    }

    func update(_ id: Int64, _ update: Update) throws {
        try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT evidence, served FROM ascensions WHERE id = ?", arguments: [id]) else { return }
            var evidence = (try? JSONValue(parsing: row["evidence"] as String))?.objectValue ?? [:]
            evidence.merge(update.evidence) { $1 }
            var served = (try? JSONValue(parsing: row["served"] as String))?.objectValue ?? [:]
            served.merge(update.served) { $1 }
            try db.execute(sql: "UPDATE ascensions SET evidence = ?, served = ?, phase = COALESCE(?, phase) WHERE id = ?",
                           arguments: [JSONValue.object(evidence).jsonText, JSONValue.object(served).jsonText, update.phase, id])
            if let clone = update.clone {
                try db.execute(sql: "UPDATE ascensions SET clone = ? WHERE id = ?", arguments: [clone?.jsonText, id])
            }
            if let evaluation = update.evaluation {
                try db.execute(sql: "UPDATE ascensions SET evaluation = ? WHERE id = ?", arguments: [evaluation.jsonText, id])
            }
            if let validation = update.validation {
                try db.execute(sql: "UPDATE ascensions SET validation = ? WHERE id = ?", arguments: [validation.jsonText, id])
            }
        }
    }

    /// Ends a running ascension `rejected` or `failed` with its reason.
    func finish(_ id: Int64, status: AscensionRecord.Status, reason: String, now: Date = Date()) throws {
        try database.write { db in
            try db.execute(sql: """
                UPDATE ascensions SET status = ?, reason = ?, phase = NULL, finished_at = ? WHERE id = ? AND status = 'running'
                """, arguments: [status.rawValue, reason, now.timeIntervalSince1970, id])
        }
    }

    /// Marks the clone removed and records what is no longer served.
    func cloneRemoved(_ id: Int64, served: [String: JSONValue]) throws {
        try update(id, Update(clone: .some(nil), served: served))
    }

    /// Makes a running ascension a proposal: its id is the next of the image's one proposal id
    /// space (after every codex amendment's and ascension proposal's), and it expires after `lifetime`.
    func propose(_ id: Int64, reason: String, lifetime: TimeInterval, now: Date = Date()) throws -> AscensionRecord {
        try database.write { db in
            let codexSequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'codex_proposals'") ?? 0
            let codexMax = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM codex_proposals") ?? 0
            let ours = try Int64.fetchOne(db, sql: "SELECT MAX(proposal) FROM ascensions") ?? 0
            let next = max(codexSequence, codexMax, ours) + 1
            try db.execute(sql: """
                UPDATE ascensions SET status = 'proposed', phase = NULL, proposal = ?, reason = ?, expires_at = ? WHERE id = ? AND status = 'running'
                """, arguments: [next, reason, now.timeIntervalSince1970 + lifetime, id])
            guard db.changesCount == 1 else { throw AscensionError(.noSuchAscension, "ascension \(id) is no longer running") }
            // The codex amendments' AUTOINCREMENT continues after this id, so neither kind reuses the other's.
            try db.execute(sql: "UPDATE sqlite_sequence SET seq = ? WHERE name = 'codex_proposals' AND seq < ?", arguments: [next, next])
            if db.changesCount == 0, try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'codex_proposals'") == nil {
                try db.execute(sql: "INSERT INTO sqlite_sequence(name, seq) VALUES ('codex_proposals', ?)", arguments: [next])
            }
        }
        return try require(id)
    }

    /// Writes, inside the swap's transaction, that proposal `proposal` was applied; throws when it
    /// was decided meanwhile (then the swap does not commit either).
    static func markApplied(_ db: Database, proposal: Int64, note: String?, now: Date) throws {
        try db.execute(sql: """
            UPDATE ascensions SET status = 'applied', note = ?, decided_at = ?, finished_at = ? WHERE proposal = ? AND status = 'proposed'
            """, arguments: [note, now.timeIntervalSince1970, now.timeIntervalSince1970, proposal])
        guard db.changesCount == 1 else { throw AscensionError(.alreadyDecided, "ascension proposal \(proposal) was decided meanwhile") }
    }

    /// Records what applying did after the swap: the change, the fine-tune job, the re-curation.
    func recordApplied(_ id: Int64, change: Int64?, rollbackTo: Int64?, finetuneJob: Int64?, evidence: [String: JSONValue]) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE ascensions SET change_id = ?, rollback_to = ?, finetune_job = ? WHERE id = ?",
                           arguments: [change, rollbackTo, finetuneJob, id])
        }
        try update(id, Update(evidence: evidence))
    }

    func recordRecuration(_ id: Int64, _ recuration: JSONValue) throws {
        try database.write { db in
            try db.execute(sql: "UPDATE ascensions SET recuration = ? WHERE id = ?", arguments: [recuration.jsonText, id])
        }
    }

    /// The Architect's rejection of proposal `proposal`; false when it was not pending.
    func decline(proposal: Int64, note: String?, now: Date = Date()) throws -> Bool {
        try database.write { db in
            try db.execute(sql: """
                UPDATE ascensions SET status = 'declined', note = ?, decided_at = ?, finished_at = ? WHERE proposal = ? AND status = 'proposed'
                """, arguments: [note, now.timeIntervalSince1970, now.timeIntervalSince1970, proposal])
            return db.changesCount == 1
        }
    }

    /// Marks the proposals whose time ran out as expired (they change nothing); answers them.
    @discardableResult
    public func expire(now: Date = Date()) throws -> [AscensionRecord] {
        let ids: [Int64] = try database.write { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM ascensions WHERE status = 'proposed' AND expires_at <= ?",
                                         arguments: [now.timeIntervalSince1970])
            try db.execute(sql: """
                UPDATE ascensions SET status = 'expired', decided_at = ?, finished_at = ?, note = 'expired before the Architect decided'
                WHERE status = 'proposed' AND expires_at <= ?
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970, now.timeIntervalSince1970])
            return ids
        }
        return try ids.map(require)
    }

    /// Marks the ascensions whose process died while they ran as failed; answers them.
    @discardableResult
    func recover(now: Date = Date()) throws -> [AscensionRecord] {
        let ids: [Int64] = try database.write { db in
            var dead: [Int64] = []
            for row in try Row.fetchAll(db, sql: "SELECT id, owner, phase FROM ascensions WHERE status = 'running'")
            where LeaseOwner.isDead((row["owner"] as String?) ?? "") {
                let id: Int64 = row["id"]
                try db.execute(sql: """
                    UPDATE ascensions SET status = 'failed', reason = ?, phase = NULL, clone = NULL, finished_at = ? WHERE id = ? AND status = 'running'
                    """, arguments: ["its a4ps process ended while it was \(row["phase"] as String? ?? "running") (killed?); "
                                     + "production is untouched — evaluate the candidate again", now.timeIntervalSince1970, id])
                dead.append(id)
            }
            return dead
        }
        return try ids.map(require)
    }

    // MARK: Reading

    public func record(_ id: Int64) throws -> AscensionRecord? {
        try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM ascensions WHERE id = ?", arguments: [id]).map(Self.record) }
    }

    /// The ascension that made proposal `proposal` (nil when the id is a codex amendment's, or nobody's).
    public func record(proposal: Int64) throws -> AscensionRecord? {
        try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM ascensions WHERE proposal = ?", arguments: [proposal]).map(Self.record) }
    }

    /// Ascensions, newest first (of `persona`, with `status`, when given).
    public func records(of persona: String? = nil, status: AscensionRecord.Status? = nil, limit: Int = 100) throws -> [AscensionRecord] {
        try database.read { db in
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let persona { clauses.append("persona = ?"); arguments += [persona.uppercased()] }
            if let status { clauses.append("status = ?"); arguments += [status.rawValue] }
            let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: "SELECT * FROM ascensions\(filter) ORDER BY id DESC LIMIT ?", arguments: arguments + [limit])
                .map(Self.record)
        }
    }

    /// Ascensions whose proposal waits or was applied: what a4ps must keep served in every process.
    func live() throws -> [AscensionRecord] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ascensions WHERE status IN ('proposed', 'applied') ORDER BY id").map(Self.record)
        }
    }

    func require(_ id: Int64) throws -> AscensionRecord {
        guard let record = try record(id) else { throw AscensionError(.noSuchAscension, "there is no ascension \(id) (see `a4ps ascend list`)") }
        return record
    }

    private static func record(_ row: Row) -> AscensionRecord {
        func json(_ column: String) -> JSONValue? { (row[column] as String?).flatMap { try? JSONValue(parsing: $0) } }
        func date(_ column: String) -> Date? { (row[column] as Double?).map(Date.init(timeIntervalSince1970:)) }
        return AscensionRecord(
            id: row["id"], persona: row["persona"], candidate: row["candidate"], current: row["current"], baseSlot: json("base_slot"),
            status: AscensionRecord.Status(rawValue: row["status"]) ?? .failed, phase: row["phase"], trigger: row["trigger"],
            baseVersion: row["base_version"], clone: json("clone"), evaluation: json("evaluation"), validation: json("validation"),
            evidence: json("evidence") ?? .object([:]), reason: row["reason"], proposal: row["proposal"], expiresAt: date("expires_at"),
            decidedAt: date("decided_at"), note: row["note"], changeID: row["change_id"], rollbackTo: row["rollback_to"],
            finetuneJob: row["finetune_job"], recuration: json("recuration"), served: json("served") ?? .object([:]),
            createdAt: date("created_at") ?? Date(), finishedAt: date("finished_at"))
    }
}
