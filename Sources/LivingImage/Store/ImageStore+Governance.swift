import Foundation
import GRDB

/// The governor's rows in the image file (migration `image.v2`): its audit trail of refusals and
/// its ledger of budgeted actions.
extension ImageStore {
    /// Appends a refusal to the audit trail in the transaction of `db`.
    func recordVeto(_ veto: Governor.Veto, at date: Date, in db: Database) throws {
        try db.execute(sql: """
            INSERT INTO governor_vetoes(at, rule, proto, subject, author, description, evidence) VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [date.timeIntervalSince1970, veto.rule, veto.proto, veto.subject, veto.author.rawValue, veto.description,
                             veto.evidence.jsonText])
    }

    /// The audit trail, oldest first: the last `limit` refusals, optionally of one proto and subject.
    func vetoes(proto: String? = nil, subject: String? = nil, limit: Int = 100) throws(ImageError) -> [VetoRecord] {
        do {
            return try database.read { db in
                var conditions: [String] = []
                var arguments: StatementArguments = []
                if let proto { conditions.append("proto = ?"); arguments += [proto] }
                if let subject { conditions.append("subject = ?"); arguments += [subject] }
                let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
                arguments += [limit]
                return try Row.fetchAll(db, sql: """
                    SELECT * FROM (SELECT id, at, rule, proto, subject, author, description, evidence FROM governor_vetoes
                    \(filter) ORDER BY id DESC LIMIT ?) ORDER BY id
                    """, arguments: arguments).map { row in
                    VetoRecord(id: row[0], at: Date(timeIntervalSince1970: row[1]),
                               veto: Governor.Veto(rule: row[2], proto: row[3], subject: row[4],
                                                   author: ChangeAuthor(rawValue: row[5]) ?? .system, description: row[6],
                                                   evidence: (try? JSONValue(parsing: row[7] as String)) ?? .null))
                }
            }
        } catch {
            throw ImageError(.storage, "cannot read the governor's audit trail: \(error)")
        }
    }

    /// How many actions of `budget` the ledger holds since `date`, in the transaction of `db`.
    func spent(_ budget: String, since date: Date, in db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM governor_spending WHERE budget = ? AND at > ?",
                         arguments: [budget, date.timeIntervalSince1970]) ?? 0
    }

    /// Counts one action of `budget` in the ledger, in the transaction of `db`.
    func spend(_ budget: String, proto: String, subject: String, at date: Date, in db: Database) throws {
        try db.execute(sql: "INSERT INTO governor_spending(budget, proto, subject, at) VALUES (?, ?, ?, ?)",
                       arguments: [budget, proto, subject, date.timeIntervalSince1970])
    }

    /// How many actions of `budget` the ledger holds since `date`.
    func spent(_ budget: String, since date: Date) throws(ImageError) -> Int {
        do {
            return try database.read { db in try spent(budget, since: date, in: db) }
        } catch {
            throw ImageError(.storage, "cannot read the governor's ledger: \(error)")
        }
    }
}
