import Foundation
import GRDB
import LivingImage

/// The codex amendment proposals of an image, kept in its file (migration `philosophical.v1`),
/// and the one way a proposal reaches a codex: ``approve(_:note:now:)``, which carries the
/// Architect's authority (author `architect`) and is called by the CLI — never by a Lua method,
/// which has no primitive for it, nor by a loop.
///
/// Approval applies the diff by compare-and-swap to the very codex the proposal was drafted
/// against; a codex changed meanwhile is a conflict and nothing changes. A rejection is
/// remembered: the same amendment is not proposed again for the persona without new evidence.
public struct CodexProposalStore: Sendable {
    let image: Image
    var database: DatabasePool { image.database }
    /// How long a proposal waits for the Architect unless told otherwise.
    public static let defaultLifetime: TimeInterval = 7 * 86_400

    public init(image: Image) throws {
        self.image = image
        var migrator = DatabaseMigrator()
        migrator.registerMigration("philosophical.v1") { db in
            try db.execute(sql: """
                CREATE TABLE codex_proposals(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    persona TEXT NOT NULL,
                    status TEXT NOT NULL,
                    diff TEXT NOT NULL,
                    diff_digest TEXT NOT NULL,
                    base_version INTEGER NOT NULL,
                    base_digest TEXT NOT NULL,
                    evidence TEXT NOT NULL DEFAULT 'null',
                    evidence_digest TEXT NOT NULL,
                    reasoning TEXT NOT NULL DEFAULT '',
                    proposer TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    expires_at REAL NOT NULL,
                    decided_at REAL,
                    note TEXT,
                    change_id INTEGER);
                CREATE INDEX codex_proposals_persona ON codex_proposals(persona, diff_digest);
                CREATE INDEX codex_proposals_status ON codex_proposals(status);
                """)
        }
        // The deliberation run that drafted a proposal waits (paused) for its decision.
        migrator.registerMigration("philosophical.v2") { db in
            try db.execute(sql: "ALTER TABLE codex_proposals ADD COLUMN run_id TEXT")
        }
        try migrator.migrateShared(database)
    }

    // MARK: Proposing

    /// Records a pending amendment of `persona`'s codex, drafted against its codex as it is now.
    /// Refused when the diff is malformed or changes nothing, when the same amendment is already
    /// pending, and when it was rejected before and `evidence` brings nothing new.
    public func propose(persona name: String, diff: CodexDiff, evidence: JSONValue = .null, reasoning: String = "",
                        proposer: CodexProposal.Proposer, run: String? = nil, lifetime: TimeInterval = defaultLifetime,
                        now: Date = Date()) throws -> CodexProposal {
        let persona = name.uppercased()
        try diff.validate()
        guard let proto = image.memory.proto(named: persona), proto.codex.objectValue != nil else {
            throw CodexProposalError(.noSuchPersona, "\(persona) is not a persona with a codex (see `a4ps inspect`); "
                + "a codex amendment names one of BRICK, ROBIN, BABS, ALFRED")
        }
        guard try diff.applied(to: proto.codex) != proto.codex else {
            throw CodexProposalError(.invalidDiff, "the amendment leaves \(persona)'s codex as it is (see `a4ps inspect \(persona)`); nothing to propose")
        }
        let diffDigest = CodexDiff.digest(diff.json)
        let evidenceDigest = CodexDiff.digest(evidence)
        let id: Int64 = try database.write { db in
            let earlier = try Row.fetchAll(db, sql: """
                SELECT id, status, evidence_digest, note FROM codex_proposals WHERE persona = ? AND diff_digest = ? AND status IN ('pending', 'rejected')
                ORDER BY id
                """, arguments: [persona, diffDigest])
            if let pending = earlier.first(where: { $0["status"] as String == "pending" }) {
                throw CodexProposalError(.duplicate, "the same amendment of \(persona)'s codex is already waiting for the Architect as proposal "
                    + "\(pending["id"] as Int64): decide it (`a4ps proposals show \(pending["id"] as Int64)`)")
            }
            let rejected = earlier.filter { $0["status"] as String == "rejected" }
            if let last = rejected.last, Self.isEmpty(evidence) || rejected.contains(where: { $0["evidence_digest"] as String == evidenceDigest }) {
                throw CodexProposalError(.alreadyRejected, "the Architect rejected the same amendment of \(persona)'s codex as proposal "
                    + "\(last["id"] as Int64)" + ((last["note"] as String?).map { " (\"\($0)\")" } ?? "")
                    + "; it is proposed again only with new evidence (runs, transcripts, scores it did not have)")
            }
            try db.execute(sql: """
                INSERT INTO codex_proposals(persona, status, diff, diff_digest, base_version, base_digest, evidence, evidence_digest,
                    reasoning, proposer, created_at, expires_at, run_id)
                VALUES (?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [persona, diff.json.jsonText, diffDigest, proto.version, CodexDiff.digest(proto.codex), evidence.jsonText,
                                 evidenceDigest, reasoning, proposer.rawValue, now.timeIntervalSince1970,
                                 now.timeIntervalSince1970 + lifetime, run])
            return db.lastInsertedRowID
        }
        let proposal = try require(id)
        publish("philosophical.proposal.created", proposal)
        return proposal
    }

    // MARK: Deciding

    /// Applies proposal `id` to its persona's codex with the Architect's authority: a
    /// compare-and-swap logged with author `architect` and a reason naming the proposal. Refused,
    /// changing nothing, when the proposal is unknown, decided or expired, or when the codex
    /// changed since it was drafted (a conflict).
    @discardableResult
    public func approve(_ id: Int64, note: String? = nil, now: Date = Date()) async throws -> CodexProposal {
        let proposal = try pending(id, now: now, deciding: "approve")
        guard let proto = image.memory.proto(named: proposal.persona) else {
            throw CodexProposalError(.noSuchPersona, "\(proposal.persona) no longer exists; reject proposal \(id) (`a4ps proposals reject \(id)`)")
        }
        guard CodexDiff.digest(proto.codex) == proposal.baseDigest else { throw conflict(proposal, now: proto.version) }
        var clone = proto.clone()
        clone.codex = try proposal.diff.applied(to: proto.codex)
        let reason = "codex amendment proposal \(id) approved by the Architect" + (note.map { ": \($0)" } ?? "")
        let record: ChangeRecord?
        do {
            // The decision commits with the codex, or neither does (a crash, or a rejection that got in first).
            record = try await image.memory.swap(clone, expecting: proto.version, author: .architect, reason: reason, kind: "amendment") { db in
                try db.execute(sql: """
                    UPDATE codex_proposals SET status = 'approved', note = ?, decided_at = ? WHERE id = ? AND status = 'pending'
                    """, arguments: [note, now.timeIntervalSince1970, id])
                guard db.changesCount == 1 else { throw CodexProposalError(.alreadyDecided, "codex proposal \(id) was decided meanwhile") }
            }
        } catch {
            if error.code == .conflict { throw conflict(proposal, now: image.memory.proto(named: proposal.persona)?.version ?? proto.version) }
            // Decided by someone else meanwhile: say how, as for any decided proposal.
            if try self.proposal(id)?.status != .pending { _ = try pending(id, now: now, deciding: "approve") }
            throw error
        }
        if let change = record?.id {
            try await database.write { db in try db.execute(sql: "UPDATE codex_proposals SET change_id = ? WHERE id = ?", arguments: [change, id]) }
        }
        let decided = try require(id)
        publish("philosophical.proposal.approved", decided)
        return decided
    }

    /// Refuses proposal `id`: nothing changes in the codex; the refusal and its note are
    /// remembered, so the same amendment is not proposed again without new evidence.
    @discardableResult
    public func reject(_ id: Int64, note: String? = nil, now: Date = Date()) throws -> CodexProposal {
        _ = try pending(id, now: now, deciding: "reject")
        let decided = try decide(id, as: .rejected, note: note, at: now)
        publish("philosophical.proposal.rejected", decided)
        return decided
    }

    /// Marks the pending proposals whose time ran out as expired (they change nothing); answers them.
    @discardableResult
    public func expire(now: Date = Date()) throws -> [CodexProposal] {
        let ids: [Int64] = try database.write { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM codex_proposals WHERE status = 'pending' AND expires_at <= ?",
                                         arguments: [now.timeIntervalSince1970])
            try db.execute(sql: """
                UPDATE codex_proposals SET status = 'expired', decided_at = ?, note = 'expired before the Architect decided'
                WHERE status = 'pending' AND expires_at <= ?
                """, arguments: [now.timeIntervalSince1970, now.timeIntervalSince1970])
            return ids
        }
        let expired = try ids.map(require)
        expired.forEach { publish("philosophical.proposal.expired", $0) }
        return expired
    }

    /// Proposal `id` when the Architect may still decide it; otherwise the error that says why not
    /// (an overdue one is marked expired first).
    private func pending(_ id: Int64, now: Date, deciding verb: String) throws -> CodexProposal {
        guard let proposal = try proposal(id) else {
            throw CodexProposalError(.noSuchProposal, "there is no codex proposal \(id) (see `a4ps proposals list`)")
        }
        switch proposal.status {
        case .pending where proposal.expiresAt <= now:
            try expire(now: now)
            throw expired(proposal)
        case .pending:
            return proposal
        case .expired:
            throw expired(proposal)
        case .approved, .rejected:
            throw CodexProposalError(.alreadyDecided, "codex proposal \(id) was already \(proposal.status.rawValue)"
                + (proposal.decidedAt.map { " at \(ISO8601DateFormatter().string(from: $0))" } ?? "")
                + "; it cannot be \(verb == "approve" ? "approved" : "rejected") again — propose anew (`a4ps codex propose \(proposal.persona)`)")
        }
    }

    private func expired(_ proposal: CodexProposal) -> CodexProposalError {
        CodexProposalError(.expired, "codex proposal \(proposal.id) expired at \(ISO8601DateFormatter().string(from: proposal.expiresAt)) "
            + "before the Architect decided; it changes nothing — propose it again (`a4ps codex propose \(proposal.persona)`)")
    }

    private func conflict(_ proposal: CodexProposal, now version: Int64) -> CodexProposalError {
        CodexProposalError(.conflict, "\(proposal.persona)'s codex changed since proposal \(proposal.id) was drafted (version "
            + "\(proposal.baseVersion), now \(version)); nothing changed — reject it (`a4ps proposals reject \(proposal.id)`) "
            + "and propose the amendment again against the current codex")
    }

    private func decide(_ id: Int64, as status: CodexProposal.Status, note: String?, at now: Date) throws -> CodexProposal {
        let decided = try database.write { db in
            try db.execute(sql: """
                UPDATE codex_proposals SET status = ?, note = ?, decided_at = ? WHERE id = ? AND status = 'pending'
                """, arguments: [status.rawValue, note, now.timeIntervalSince1970, id])
            return db.changesCount == 1
        }
        // Decided by someone else between the check and this write: say how.
        if !decided { _ = try pending(id, now: now, deciding: status == .approved ? "approve" : "reject") }
        return try require(id)
    }

    // MARK: Reading

    public func proposal(_ id: Int64) throws -> CodexProposal? {
        try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM codex_proposals WHERE id = ?", arguments: [id]).map(Self.proposal) }
    }

    /// Proposals, newest first (those with `status`, or of `persona`, when given).
    public func proposals(status: CodexProposal.Status? = nil, of persona: String? = nil, limit: Int = 100) throws -> [CodexProposal] {
        try database.read { db in
            var clauses: [String] = []
            var arguments: StatementArguments = []
            if let status { clauses.append("status = ?"); arguments += [status.rawValue] }
            if let persona { clauses.append("persona = ?"); arguments += [persona.uppercased()] }
            let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
            return try Row.fetchAll(db, sql: "SELECT * FROM codex_proposals\(filter) ORDER BY id DESC LIMIT ?", arguments: arguments + [limit])
                .map(Self.proposal)
        }
    }

    private func require(_ id: Int64) throws -> CodexProposal {
        guard let proposal = try proposal(id) else {
            throw CodexProposalError(.noSuchProposal, "there is no codex proposal \(id) (see `a4ps proposals list`)")
        }
        return proposal
    }

    private static func proposal(_ row: Row) throws -> CodexProposal {
        CodexProposal(
            id: row["id"], persona: row["persona"], status: CodexProposal.Status(rawValue: row["status"]) ?? .expired,
            diff: try CodexDiff(json: JSONValue(parsing: row["diff"] as String)),
            baseVersion: row["base_version"], baseDigest: row["base_digest"],
            evidence: (try? JSONValue(parsing: row["evidence"] as String)) ?? .null, reasoning: row["reasoning"],
            proposer: CodexProposal.Proposer(rawValue: row["proposer"]) ?? .alfred,
            createdAt: Date(timeIntervalSince1970: row["created_at"]), expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
            decidedAt: (row["decided_at"] as Double?).map(Date.init(timeIntervalSince1970:)), note: row["note"], changeID: row["change_id"], run: row["run_id"])
    }

    /// Evidence that says nothing: null, an empty object, list or string.
    private static func isEmpty(_ evidence: JSONValue) -> Bool {
        switch evidence {
        case .null: true
        case .object(let object): object.isEmpty
        case .array(let array): array.isEmpty
        case .string(let text): text.isEmpty
        default: false
        }
    }

    private func publish(_ name: String, _ proposal: CodexProposal) {
        var payload: [String: JSONValue] = ["proposal": .int(Int(proposal.id)), "status": .string(proposal.status.rawValue),
                                            "proposer": .string(proposal.proposer.rawValue)]
        if let note = proposal.note { payload["note"] = .string(note) }
        if let change = proposal.changeID { payload["change"] = .int(Int(change)) }
        image.events.publish(.emitted(proto: proposal.persona, name: name, payload: .object(payload)))
    }
}
