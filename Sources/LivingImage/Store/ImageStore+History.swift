import Foundation
import GRDB

extension ImageStore {
    /// The migration that lets a page of the history for one subject be read along an index
    /// instead of scanning every delta.
    static let historyIndexMigration = "image.historyBySubject"

    static func registerHistoryIndex(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration(historyIndexMigration) { db in
            try db.execute(sql: "CREATE INDEX change_deltas_by_subject ON change_deltas(subject, change_id)")
        }
    }

    /// The change log, oldest first: the last `limit` entries (before change `before`, when
    /// given), optionally for one proto and one subject (`method:SELECTOR`, `slot:NAME`, ...).
    /// A page costs the same however long the log is: it is read backwards along an index.
    func history(proto: String? = nil, subject: String? = nil, limit: Int = 100, before: Int64? = nil) throws(ImageError) -> [ChangeRecord] {
        guard limit >= 1 else {
            throw ImageError(.invalidValue, "the history limit must be at least 1 (got \(limit))")
        }
        do {
            return try database.read { db in
                var conditions: [String] = []
                var arguments: StatementArguments = []
                if let before { conditions.append("id < ?"); arguments += [before] }
                if let proto { conditions.append("proto = ?"); arguments += [proto] }
                if let subject {
                    conditions.append("id IN (SELECT change_id FROM change_deltas WHERE subject = ?)")
                    arguments += [subject]
                }
                let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
                arguments += [limit]
                let rows = try Row.fetchAll(db, sql: """
                    SELECT * FROM (SELECT id, at, proto, kind, author, reason, proto_version FROM changes
                    \(filter) ORDER BY id DESC LIMIT ?) ORDER BY id
                    """, arguments: arguments)
                return try rows.map { row in
                    let id: Int64 = row[0]
                    let deltas = try Row.fetchAll(
                        db, sql: "SELECT subject, before, after FROM change_deltas WHERE change_id = ? ORDER BY seq",
                        arguments: [id]
                    ).map { d in
                        ChangeRecord.Delta(subject: d[0], before: try (d[1] as String?).map { try JSONValue(parsing: $0) },
                                           after: try (d[2] as String?).map { try JSONValue(parsing: $0) })
                    }
                    return ChangeRecord(id: id, at: Date(timeIntervalSince1970: row[1]), proto: row[2], kind: row[3],
                                        author: ChangeAuthor(rawValue: row[4]) ?? .system, reason: row[5],
                                        protoVersion: row[6], deltas: deltas)
                }
            }
        } catch {
            throw ImageError(.storage, "cannot read the change log: \(error)")
        }
    }

    /// The proto as it was right after change `changeID`, rebuilt from the change log (and the
    /// baselines compaction left); `nil` if it did not exist then.
    func state(of name: String, afterChange changeID: Int64) throws(ImageError) -> Proto? {
        do {
            return try database.read { db in
                guard try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM changes WHERE id = ?)", arguments: [changeID]) == true else {
                    if changeID > 0, changeID < (try lastChangeID(in: db)) {
                        throw ImageError(.rollback, "change \(changeID) is no longer in the change log: `a4ps image compact` removed it "
                            + "([system] history_keep_days); roll back to a change `a4ps image history \(name)` still lists")
                    }
                    throw ImageError(.rollback, "there is no change \(changeID) in the change log (see `a4ps image history`)")
                }
                return try replay(name, afterChange: changeID, in: db)
            }
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError(.storage, "cannot read the change log: \(error)")
        }
    }

    /// Writes a consistent single-file copy of the image while it stays in use.
    func export(to destination: String) throws(ImageError) {
        if FileManager.default.fileExists(atPath: destination) {
            throw ImageError(.fileExists, "\(destination) already exists: choose another name or remove it first")
        }
        do {
            let target = try DatabaseQueue(path: destination)
            try database.backup(to: target)
            // The copy is closed cleanly: the sessions open on the original are not its own.
            try target.write { try $0.execute(sql: "DELETE FROM image_session") }
            try target.close()
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw ImageError(.storage, "could not export the image to \(destination): \(error)")
        }
    }
}
