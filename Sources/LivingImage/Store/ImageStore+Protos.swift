import Foundation
import GRDB

extension ImageStore {
    /// Loads every proto of the image, and the id of the last change they include.
    func loadProtos() throws(ImageError) -> (protos: [String: Proto], lastChange: Int64) {
        do {
            return try database.read { db in (try loadProtos(named: nil, in: db), try lastChangeID(in: db)) }
        } catch {
            throw ImageError(.storage, "cannot read the image's protos: \(error)")
        }
    }

    /// The protos named (every proto when `names` is nil), as the transaction of `db` sees them;
    /// a name that is not in the file is left out.
    func loadProtos(named names: Set<String>?, in db: Database) throws -> [String: Proto] {
        var protos: [String: Proto] = [:]
        let only = names.map { names in "WHERE \(names.isEmpty ? "0" : "name IN (\(names.map { _ in "?" }.joined(separator: ",")))")" } ?? ""
        let onlyProto = names.map { names in "WHERE \(names.isEmpty ? "0" : "proto IN (\(names.map { _ in "?" }.joined(separator: ",")))")" } ?? ""
        let arguments = StatementArguments(names.map { Array($0) } ?? [])
        let protoRows = try Row.fetchCursor(db, sql: "SELECT name, parent, codex, version FROM protos \(only)", arguments: arguments)
        while let row = try protoRows.next() {
            let name: String = row[0]
            protos[name] = Proto(name: name, parent: row[1], codex: try JSONValue(parsing: row[2]), version: row[3])
        }
        let slotRows = try Row.fetchCursor(db, sql: "SELECT proto, name, value FROM slots \(onlyProto)", arguments: arguments)
        while let row = try slotRows.next() {
            let proto: String = row[0]
            protos[proto]?.slots[row[1]] = try JSONValue(parsing: row[2])
        }
        let methodRows = try Row.fetchCursor(db, sql: "SELECT proto, selector, source, version FROM methods \(onlyProto)", arguments: arguments)
        while let row = try methodRows.next() {
            let proto: String = row[0]
            let selector: String = row[1]
            protos[proto]?.methods[selector] = MethodSource(selector: selector, source: row[2], version: row[3])
        }
        return protos
    }

    /// The id of the newest change-log entry (0 for none): whoever wrote it, this process or another.
    func lastChangeID(in db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM changes") ?? 0
    }

    /// The protos changed after change `id`, and the id of the newest change.
    func protosChanged(after id: Int64, in db: Database) throws -> (names: Set<String>, lastChange: Int64) {
        var names: Set<String> = []
        var last = id
        let rows = try Row.fetchCursor(db, sql: "SELECT id, proto FROM changes WHERE id > ? ORDER BY id", arguments: [id])
        while let row = try rows.next() {
            last = row[0]
            names.insert(row[1])
        }
        return (names, last)
    }

    /// Runs `body` in one write transaction (all or nothing). `body` reads the file as it is
    /// now: other processes wait for the transaction to end.
    func writing<T>(_ body: (Database) throws -> T) throws(ImageError) -> T {
        do {
            return try database.write(body)
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError(.storage, "could not write the change to \(path) (nothing was changed): \(error)")
        }
    }

    /// Persists changes (rows and change-log entries) in one transaction; all or nothing.
    func commit(_ changes: [PendingChange], at date: Date = Date()) throws(ImageError) -> [ChangeRecord] {
        try writing { db in try changes.map { try write($0, at: date, in: db) } }
    }

    /// Writes one change's rows and change-log entry in the transaction of `db`.
    func write(_ change: PendingChange, at date: Date, in db: Database) throws -> ChangeRecord {
        let proto = change.proto
        let now = date.timeIntervalSince1970
        for delta in change.deltas {
            switch delta.subject {
            case "proto":
                if delta.after == nil {
                    try db.execute(sql: "DELETE FROM protos WHERE name = ?", arguments: [proto.name])
                } else {
                    try db.execute(
                        sql: "INSERT INTO protos(name, parent, codex, version, updated_at) VALUES (?, ?, ?, ?, ?)",
                        arguments: [proto.name, proto.parent, proto.codex.jsonText, proto.version, now])
                }
            case "parent":
                try db.execute(sql: "UPDATE protos SET parent = ? WHERE name = ?", arguments: [proto.parent, proto.name])
            case "codex":
                try db.execute(sql: "UPDATE protos SET codex = ? WHERE name = ?", arguments: [proto.codex.jsonText, proto.name])
            case let subject where subject.hasPrefix("slot:"):
                let slot = String(subject.dropFirst(5))
                if let value = proto.slots[slot] {
                    try db.execute(sql: "INSERT OR REPLACE INTO slots(proto, name, value) VALUES (?, ?, ?)",
                                   arguments: [proto.name, slot, value.jsonText])
                } else {
                    try db.execute(sql: "DELETE FROM slots WHERE proto = ? AND name = ?", arguments: [proto.name, slot])
                }
            case let subject where subject.hasPrefix("method:"):
                let selector = String(subject.dropFirst(7))
                if let method = proto.methods[selector] {
                    try db.execute(sql: "INSERT OR REPLACE INTO methods(proto, selector, source, version) VALUES (?, ?, ?, ?)",
                                   arguments: [proto.name, selector, method.source, method.version])
                } else {
                    try db.execute(sql: "DELETE FROM methods WHERE proto = ? AND selector = ?", arguments: [proto.name, selector])
                }
            default:
                throw ImageError(.storage, "unknown change subject \(delta.subject)")
            }
        }
        if change.kind == "create" {
            try db.execute(sql: "UPDATE protos SET updated_at = ? WHERE name = ?", arguments: [now, proto.name])
        } else {
            // The compare-and-swap holds in the file too: another process may have changed it.
            try db.execute(sql: "UPDATE protos SET version = ?, updated_at = ? WHERE name = ? AND version = ?",
                           arguments: [proto.version, now, proto.name, proto.version - 1])
            if db.changesCount == 0 {
                throw ImageError(.conflict, "'\(proto.name)' was changed by another process using \(path); "
                    + "nothing was changed: the image was reloaded, retry")
            }
        }
        try db.execute(
            sql: "INSERT INTO changes(at, proto, kind, author, reason, proto_version) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [now, proto.name, change.kind, change.author.rawValue, change.reason, proto.version])
        let id = db.lastInsertedRowID
        for (seq, delta) in change.deltas.enumerated() {
            try db.execute(
                sql: "INSERT INTO change_deltas(change_id, seq, subject, before, after) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, seq, delta.subject, delta.before?.jsonText, delta.after?.jsonText])
        }
        return ChangeRecord(id: id, at: date, proto: proto.name, kind: change.kind, author: change.author,
                            reason: change.reason, protoVersion: proto.version, deltas: change.deltas)
    }
}
