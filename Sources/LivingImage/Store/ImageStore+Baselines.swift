import Foundation
import GRDB

/// Baseline snapshots (migration `image.changeBaselines`): where compaction removed a run of a
/// proto's change-log entries, the proto's whole state right after the last of them, so that
/// replaying the log to any change it kept still rebuilds the proto as it was.
///
/// To rebuild proto P as it was after change N, replay starts from P's baseline with the
/// highest `after_change` not above N (or from nothing) and applies P's entries after it up to N.
extension ImageStore {
    static let baselinesMigration = "image.changeBaselines"

    static func registerChangeBaselines(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration(baselinesMigration) { db in
            try db.execute(sql: """
                CREATE TABLE change_baselines(
                    proto TEXT NOT NULL,
                    after_change INTEGER NOT NULL,
                    state TEXT,
                    PRIMARY KEY(proto, after_change)) WITHOUT ROWID
                """)
        }
    }

    /// The proto `name` as it was right after change `changeID`, replayed in the transaction of
    /// `db` from its latest baseline at or before that change; nil when it did not exist then.
    func replay(_ name: String, afterChange changeID: Int64, in db: Database) throws -> Proto? {
        var replay = ProtoReplay(name: name)
        var from: Int64 = 0
        if let row = try Row.fetchOne(db, sql: """
            SELECT after_change, state FROM change_baselines WHERE proto = ? AND after_change <= ?
            ORDER BY after_change DESC LIMIT 1
            """, arguments: [name, changeID]) {
            from = row[0]
            replay = try ProtoReplay(name: name, baselineText: row[1])
        }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT d.subject, d.after FROM change_deltas d JOIN changes c ON c.id = d.change_id
            WHERE c.proto = ? AND c.id > ? AND c.id <= ? ORDER BY c.id, d.seq
            """, arguments: [name, from, changeID])
        while let row = try rows.next() {
            replay.apply(subject: row[0], after: try (row[1] as String?).map { try JSONValue(parsing: $0) })
        }
        return replay.proto
    }

    /// The states of `name` right after each change of `anchors` (its own entries, ascending),
    /// replayed once along the log in the transaction of `db`, through the baselines on the way.
    func replay(_ name: String, snapshotsAfter anchors: [Int64], in db: Database) throws -> [Int64: String?] {
        guard let first = anchors.first, let last = anchors.last else { return [:] }
        var start: Int64 = 0
        var replay = ProtoReplay(name: name)
        if let row = try Row.fetchOne(db, sql: """
            SELECT after_change, state FROM change_baselines WHERE proto = ? AND after_change <= ?
            ORDER BY after_change DESC LIMIT 1
            """, arguments: [name, first]) {
            start = row[0]
            replay = try ProtoReplay(name: name, baselineText: row[1])
        }
        // Baselines past the start replace the state where they stand (the entries before them are gone).
        var baselines = try Row.fetchAll(db, sql: """
            SELECT after_change, state FROM change_baselines WHERE proto = ? AND after_change > ? AND after_change <= ?
            ORDER BY after_change
            """, arguments: [name, start, last]).map { (at: $0[0] as Int64, state: $0[1] as String?) }[...]
        var pending = anchors[...]
        var snapshots: [Int64: String?] = [:]
        // Everything at or before `position` is applied: take the snapshots and baselines it reached.
        func reach(_ position: Int64) throws {
            while true {
                let nextAnchor = pending.first ?? .max
                if let baseline = baselines.first, baseline.at <= position, baseline.at < nextAnchor {
                    replay = try ProtoReplay(name: name, baselineText: baseline.state)
                    baselines.removeFirst()
                } else if let anchor = pending.first, anchor <= position {
                    snapshots[anchor] = .some(replay.baselineText)
                    pending.removeFirst()
                } else {
                    return
                }
            }
        }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT c.id, d.subject, d.after FROM change_deltas d JOIN changes c ON c.id = d.change_id
            WHERE c.proto = ? AND c.id > ? AND c.id <= ? ORDER BY c.id, d.seq
            """, arguments: [name, start, last])
        while let row = try rows.next() {
            let change: Int64 = row[0]
            try reach(change - 1)
            replay.apply(subject: row[1], after: try (row[2] as String?).map { try JSONValue(parsing: $0) })
        }
        try reach(.max)
        return snapshots
    }
}
