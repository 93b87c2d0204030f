import Foundation
import GRDB

/// The image file's clean-shutdown marker: one row per open ``ImageStore`` in `image_session`,
/// written on open and deleted by a clean close, naming the process that holds it. A row whose
/// process is gone is a session that ended without closing (killed, crashed, power lost), and the
/// next open runs the full integrity check before it trusts the file (see ``ImageStore``).
///
/// Several processes may hold one image at once (`serve` and CLI commands), so a single "open"
/// bit would not do: each session is judged by whether its own process still lives. On Linux a
/// process is named by the boot id, its pid and its start time (so neither a reboot nor a reused
/// pid passes for the old process); elsewhere by its pid alone, checked with `kill(pid, 0)`.
enum ImageSessions {
    /// The migration that creates the table (kept apart from the other `image.` migrations).
    static let migration = "image.cleanShutdown"

    static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration(migration) { db in
            try db.execute(sql: """
                CREATE TABLE image_session(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    process TEXT NOT NULL,
                    opened_at REAL NOT NULL)
                """)
        }
    }

    /// Whether the file has the table at all (a file written before it cannot tell a clean close).
    static func tracked(_ db: Database) throws -> Bool {
        try db.tableExists("image_session")
    }

    /// The sessions whose process is gone: they did not close the file cleanly.
    static func unclean(_ db: Database) throws -> [Int64] {
        try Row.fetchAll(db, sql: "SELECT id, process FROM image_session").compactMap { row in
            ProcessName.isAlive(row[1]) ? nil : row[0]
        }
    }

    /// Records this session (and forgets the unclean ones the caller has checked): its id, for ``end(_:id:)``.
    static func begin(_ db: Database, forgetting unclean: [Int64]) throws -> Int64 {
        for id in unclean {
            try db.execute(sql: "DELETE FROM image_session WHERE id = ?", arguments: [id])
        }
        try db.execute(
            sql: "INSERT INTO image_session(process, opened_at) VALUES (?, ?)",
            arguments: [ProcessName.current, Date().timeIntervalSince1970])
        return db.lastInsertedRowID
    }

    /// The clean close of a session.
    static func end(_ db: Database, id: Int64) throws {
        try db.execute(sql: "DELETE FROM image_session WHERE id = ?", arguments: [id])
    }
}

/// A process's name as kept in `image_session`, and whether the process it names still runs.
enum ProcessName {
    static var current: String { name(of: getpid()) }

    /// The name of the running process `pid`.
    static func name(of pid: Int32) -> String {
        if let boot = bootID, let start = startTime(of: pid) { return "linux:\(boot):\(pid):\(start)" }
        return "pid:\(pid)"
    }

    static func isAlive(_ name: String) -> Bool {
        let parts = name.split(separator: ":").map(String.init)
        switch parts.first {
        case "linux" where parts.count == 4:
            guard parts[1] == bootID, let pid = Int32(parts[2]) else { return false }
            return startTime(of: pid) == parts[3]
        case "pid" where parts.count == 2:
            guard let pid = Int32(parts[1]) else { return false }
            return kill(pid, 0) == 0 || errno == EPERM
        default:
            return false
        }
    }

    private static var bootID: String? {
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Field 22 of `/proc/PID/stat` (clock ticks since boot), read after the command name, which may hold spaces.
    private static func startTime(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }
}
