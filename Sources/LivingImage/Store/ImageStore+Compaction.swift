import Foundation
import GRDB

/// Compaction of the change log: the entries older than a cutoff go, in one transaction, except
/// what still needs them.
///
/// **What is kept.** Each proto's latest entry (its current state and `MAX(id)`, which other
/// processes watch, stay in the log) and the one before it (so the latest change can always be
/// undone), and every entry a ``ChangeLogHold`` names. **What rollback
/// needs.** A proto is rebuilt by replaying its entries, so removing some of them would change what
/// replaying to a later, kept entry gives. Wherever a run of a proto's removed entries ends (at the
/// next kept entry of any proto — a rollback may name any change), compaction writes a baseline:
/// the proto's whole state after the run's last entry (see ``ImageStore/replay(_:afterChange:in:)``).
/// Rolling back to any kept entry therefore rebuilds exactly what it rebuilt before; rolling back to
/// a removed one is refused, naming compaction. Baselines no kept entry needs any more go too.
extension ImageStore {
    /// What a compaction removes and which baselines it writes, worked out in one transaction.
    struct CompactionPlan {
        /// Ascending.
        var removed: [Int64] = []
        var removedByProto: [String: Int] = [:]
        var keptAsLatest = 0
        var keptByHold: [String: Int] = [:]
        /// Per proto, the removed entries (ascending) after which a baseline is written.
        var anchors: [String: [Int64]] = [:]

        var baselineCount: Int { anchors.values.reduce(0) { $0 + $1.count } }
    }

    /// Removes the change-log entries recorded before `cutoff` but those kept (see above), in one
    /// transaction, then gives the freed pages back: by `PRAGMA incremental_vacuum` when the file
    /// uses it; else, with `rewriteIfNeeded`, by one `VACUUM` that switches the file to it (a full
    /// rewrite: readers go on, other writers wait); else they stay free in the file for reuse.
    /// A dry run works the same out in a read transaction and changes nothing.
    func compact(before cutoff: Date, holds: [ChangeLogHold], dryRun: Bool, rewriteIfNeeded: Bool) throws(ImageError) -> CompactionReport {
        do {
            let before = try database.read { db in try Self.pageCounts(db) }
            var report = CompactionReport(
                cutoff: cutoff, dryRun: dryRun, removedChanges: 0, removedDeltas: 0, removedByProto: [:], removedIDs: nil,
                keptAsLatest: 0, keptByHold: [:], baselinesWritten: 0, baselinesRemoved: 0,
                bytesBefore: before.bytes, bytesAfter: before.bytes, freeBytesAfter: before.freeBytes, reclaim: .nothing)
            let work = { (db: Database) throws -> (plan: CompactionPlan, deltas: Int, pruned: Int) in
                let plan = try self.plan(before: cutoff, holds: holds, in: db)
                if dryRun { return (plan, try Self.deltaCount(of: plan.removed, in: db), 0) }
                let (deltas, pruned) = try self.carryOut(plan, in: db)
                return (plan, deltas, pruned)
            }
            let (plan, deltas, pruned) = try dryRun ? database.read(work) : database.write(work)
            report.removedChanges = plan.removed.count
            report.removedDeltas = deltas
            report.removedByProto = plan.removedByProto
            report.removedIDs = plan.removed.first.map { $0...plan.removed.last! }
            report.keptAsLatest = plan.keptAsLatest
            report.keptByHold = plan.keptByHold
            report.baselinesWritten = plan.baselineCount
            report.baselinesRemoved = pruned
            if dryRun { return report }

            let afterDelete = try database.read { db in try Self.pageCounts(db) }
            if afterDelete.freeBytes > 0 {
                switch afterDelete.autoVacuum {
                case 2:
                    try database.write { db in try db.execute(sql: "PRAGMA incremental_vacuum") }
                    report.reclaim = .returnedToDisk
                case 1:
                    report.reclaim = .returnedToDisk
                default:
                    if rewriteIfNeeded {
                        try database.writeWithoutTransaction { db in
                            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                            try db.execute(sql: "VACUUM")
                        }
                        report.reclaim = .rewritten
                    } else {
                        report.reclaim = .keptForReuse
                    }
                }
            }
            let after = try database.read { db in try Self.pageCounts(db) }
            report.bytesAfter = after.bytes
            report.freeBytesAfter = after.freeBytes
            return report
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError(.storage, "could not compact the change log of \(path) (nothing was removed if the error came before the commit): \(error)")
        }
    }

    /// Works out what to remove and which baselines to write, in the transaction of `db`.
    func plan(before cutoff: Date, holds: [ChangeLogHold], in db: Database) throws -> CompactionPlan {
        var plan = CompactionPlan()
        let old = try Row.fetchAll(db, sql: "SELECT id, proto FROM changes WHERE at < ? ORDER BY id",
                                   arguments: [cutoff.timeIntervalSince1970])
        guard !old.isEmpty else { return plan }
        // Each proto's latest entry, and the one before it: the latest change's undo point (a loop
        // that swaps a persona records its undo point just after the swap commits).
        let latest = Set(try Int64.fetchAll(db, sql: """
            SELECT MAX(id) FROM changes GROUP BY proto
            UNION SELECT MAX(c.id) FROM changes c JOIN (SELECT proto, MAX(id) AS last FROM changes GROUP BY proto) l
                ON c.proto = l.proto AND c.id < l.last GROUP BY c.proto
            """))
        var held: [Int64: String] = [:]
        for hold in holds {
            for id in try hold.changes(db) where held[id] == nil { held[id] = hold.reason }
        }
        var removed = Set<Int64>()
        for row in old {
            let id: Int64 = row[0]
            if latest.contains(id) {
                plan.keptAsLatest += 1
            } else if let reason = held[id] {
                plan.keptByHold[reason, default: 0] += 1
            } else {
                removed.insert(id)
                plan.removed.append(id)
                plan.removedByProto[row[1], default: 0] += 1
            }
        }
        guard let lastRemoved = plan.removed.last else { return plan }
        // Each proto's run of removed entries ends at the next kept entry of any proto; a run ending
        // after the last removed entry ends at the entry after it (its proto's latest is kept).
        var open: [String: Int64] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT id, proto FROM changes WHERE id <= ? ORDER BY id", arguments: [lastRemoved])
        while let row = try rows.next() {
            let id: Int64 = row[0]
            if removed.contains(id) {
                open[row[1]] = id
            } else if !open.isEmpty {
                for (proto, anchor) in open { plan.anchors[proto, default: []].append(anchor) }
                open.removeAll(keepingCapacity: true)
            }
        }
        for (proto, anchor) in open { plan.anchors[proto, default: []].append(anchor) }
        return plan
    }

    /// Writes the plan's baselines (replayed before anything goes), removes its entries and the
    /// baselines no kept entry needs: the deltas removed and the baselines pruned.
    private func carryOut(_ plan: CompactionPlan, in db: Database) throws -> (deltas: Int, pruned: Int) {
        var baselines: [(proto: String, after: Int64, state: String?)] = []
        for (proto, anchors) in plan.anchors {
            let snapshots = try replay(proto, snapshotsAfter: anchors, in: db)
            for anchor in anchors {
                guard let state = snapshots[anchor] else {
                    throw ImageError(.storage, "could not rebuild '\(proto)' after change \(anchor) to keep its baseline; nothing was removed")
                }
                baselines.append((proto, anchor, state))
            }
        }
        var deltas = 0
        let deleteDeltas = try db.cachedStatement(sql: "DELETE FROM change_deltas WHERE change_id = ?")
        let deleteChange = try db.cachedStatement(sql: "DELETE FROM changes WHERE id = ?")
        for id in plan.removed {
            try deleteDeltas.execute(arguments: [id])
            deltas += db.changesCount
            try deleteChange.execute(arguments: [id])
        }
        let insert = try db.cachedStatement(sql: "INSERT OR REPLACE INTO change_baselines(proto, after_change, state) VALUES (?, ?, ?)")
        for baseline in baselines {
            try insert.execute(arguments: [baseline.proto, baseline.after, baseline.state])
        }
        return (deltas, try pruneBaselines(in: db))
    }

    /// Removes each baseline that no kept entry lies after before the proto's next baseline: no
    /// replay starts from it any more.
    private func pruneBaselines(in db: Database) throws -> Int {
        let rows = try Row.fetchAll(db, sql: "SELECT proto, after_change FROM change_baselines ORDER BY proto, after_change")
            .map { (proto: $0[0] as String, after: $0[1] as Int64) }
        let anyEntryBetween = try db.cachedStatement(sql: "SELECT EXISTS(SELECT 1 FROM changes WHERE id > ? AND id < ?)")
        var pruned = 0
        for (index, baseline) in rows.enumerated() {
            let next = index + 1 < rows.count && rows[index + 1].proto == baseline.proto ? rows[index + 1].after : Int64.max
            if try Bool.fetchOne(anyEntryBetween, arguments: [baseline.after, next]) != true {
                try db.execute(sql: "DELETE FROM change_baselines WHERE proto = ? AND after_change = ?",
                               arguments: [baseline.proto, baseline.after])
                pruned += 1
            }
        }
        return pruned
    }

    /// How many deltas the entries `ids` hold.
    private static func deltaCount(of ids: [Int64], in db: Database) throws -> Int {
        let count = try db.cachedStatement(sql: "SELECT COUNT(*) FROM change_deltas WHERE change_id = ?")
        return try ids.reduce(0) { total, id in total + (try Int.fetchOne(count, arguments: [id]) ?? 0) }
    }

    /// The file's size and free space as SQLite counts them, and its auto-vacuum mode (0 none, 1 full, 2 incremental).
    static func pageCounts(_ db: Database) throws -> (bytes: Int64, freeBytes: Int64, autoVacuum: Int) {
        let pageSize = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 0
        let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
        let free = try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
        return (pages * pageSize, free * pageSize, try Int.fetchOne(db, sql: "PRAGMA auto_vacuum") ?? 0)
    }
}
