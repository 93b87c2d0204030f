import Foundation
import GRDB

/// The image file: one SQLite database (WAL, durable commits) holding every proto and the
/// change log. Every mutation commits its rows and its change-log entry in one transaction.
///
/// **What opening checks, and why that is enough.** Opening costs the same whatever the file's
/// size: the first 100 bytes (SQLite's magic string, page size and page count against the file's
/// length), the image's format row and its migrations. The full `PRAGMA quick_check`, which reads
/// every page, runs only when there is a reason to doubt the file: a session that held it ended
/// without closing it (see ``ImageSessions``), the file predates that marker, its header does not
/// match its length, or what the cheap reads found is not an image (to tell a foreign database
/// from a damaged image). `a4ps image check` runs the full `PRAGMA integrity_check` on demand.
///
/// What SQLite guarantees otherwise: in WAL mode with `synchronous = FULL` every commit is
/// appended to the WAL and fsynced before it returns, and a reader or the next opener replays or
/// ignores frames by their checksums, so a process killed at any point leaves a consistent file
/// (the last committed transaction survives, a half-written one is discarded). What it cannot
/// promise is a disk or filesystem that loses or reorders synced writes, a power cut under
/// such a disk, or someone else writing into the file: SQLite keeps no page checksums of the main
/// file (that needs the checksum VFS shim, which a4ps does not use), so such damage shows only
/// when a damaged page is read — which is what the check after an unclean shutdown is for.
final class ImageStore: Sendable {
    /// A change to persist: the proto's new value and the deltas that lead to it.
    struct PendingChange: Sendable {
        var proto: Proto
        var kind: String
        var author: ChangeAuthor
        var reason: String
        var deltas: [ChangeRecord.Delta]
    }

    let path: String
    let database: DatabasePool
    /// Tells when other processes have committed changes.
    let changeProbe: ExternalChangeProbe
    /// Why opening ran the full integrity check (nil: the file was closed cleanly and looked sound).
    let openCheckReason: String?
    /// This store's row in `image_session`, deleted by ``close()``.
    private let sessionID: Int64

    private init(path: String, database: DatabasePool, changeProbe: ExternalChangeProbe, openCheckReason: String?, sessionID: Int64) {
        self.path = path
        self.database = database
        self.changeProbe = changeProbe
        self.openCheckReason = openCheckReason
        self.sessionID = sessionID
    }

    /// Opens an image file, creating it when `create` is set and the file does not exist.
    /// A file that is not an image, is damaged or comes from a newer a4ps is refused untouched.
    static func open(at path: String, create: Bool) throws(ImageError) -> ImageStore {
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !create {
            throw ImageError(.fileMissing, "no image at \(path): create one with `a4ps image init`")
        }
        let verdict = exists ? try validateExisting(at: path) : OpenVerdict()
        do {
            var config = Configuration()
            config.busyMode = .timeout(10)
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
                // A new file returns the pages compaction frees to the disk cheaply; the mode must
                // be chosen before the file is switched to WAL (an existing file ignores it).
                if !exists && !db.configuration.readonly { try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL") }
            }
            let pool = try DatabasePool(path: path, configuration: config)
            let probe: ExternalChangeProbe
            let session: Int64
            do {
                try ImageSchema.migrator.migrateShared(pool)
                session = try pool.write { try ImageSessions.begin($0, forgetting: verdict.unclean) }
                probe = try ExternalChangeProbe(path: path)
            } catch {
                try? pool.close()
                throw error
            }
            return ImageStore(path: path, database: pool, changeProbe: probe, openCheckReason: verdict.checkReason, sessionID: session)
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError(.storage, "cannot open the image at \(path): \(error)")
        }
    }

    /// What validating an existing file found: why the full check ran, and the sessions it
    /// found unclean (forgotten once the file is open, the check having passed).
    struct OpenVerdict {
        var checkReason: String?
        var unclean: [Int64] = []
    }

    /// Reads an existing file without changing it and refuses what is not a usable image.
    private static func validateExisting(at path: String) throws(ImageError) -> OpenVerdict {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ImageError(.notAnImage, "cannot read \(path): check its permissions")
        }
        let header = (try? handle.read(upToCount: 100)) ?? Data()
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.close()
        if header.isEmpty {
            throw ImageError(.notAnImage, "\(path) is an empty file, not an a4ps image: remove it or choose another path")
        }
        guard header.prefix(16) == Data("SQLite format 3\0".utf8) else {
            throw ImageError(.notAnImage, "\(path) is not an a4ps image (not a SQLite database); it was left untouched")
        }
        // A file shorter than its header says is what an unfinished checkpoint leaves while the WAL
        // still holds the pages (another process writing, or one that exited before checkpointing):
        // SQLite reads them from the WAL. Without a WAL to explain it, the file was truncated.
        let walBytes = ((try? FileManager.default.attributesOfItem(atPath: path + "-wal"))?[.size] as? NSNumber)?.int64Value ?? 0
        var verdict = OpenVerdict(checkReason: SQLiteHeader(header)?.mismatch(fileSize: size, walBytes: walBytes))
        do {
            // Another process may hold the file a moment (closing it checkpoints the WAL): wait.
            var config = Configuration()
            config.busyMode = .timeout(10)
            let queue = try DatabaseQueue(path: path, configuration: config)
            defer { try? queue.close() }
            try queue.read { db in
                do {
                    guard try db.tableExists("image_meta"),
                          try String.fetchOne(db, sql: "SELECT value FROM image_meta WHERE key = 'format'") == ImageSchema.format
                    else {
                        // A foreign database, or an image whose pages are damaged: the full check tells which.
                        try fullCheck(db, path: path)
                        throw ImageError(.notAnImage, "\(path) is a SQLite database but not an a4ps image; it was left untouched")
                    }
                    let known = Set(ImageSchema.migrator.migrations)
                    let applied = try ImageSchema.migrator.appliedIdentifiers(db)
                    let unknown = applied.filter { $0.hasPrefix(ImageSchema.migrationPrefix) && !known.contains($0) }
                    if !unknown.isEmpty {
                        throw ImageError(.newerSchema, "\(path) was written by a newer a4ps (schema \(unknown.sorted().joined(separator: ", "))): "
                            + "upgrade a4ps to open it; it was left untouched")
                    }
                    if verdict.checkReason == nil {
                        if try !ImageSessions.tracked(db) {
                            verdict.checkReason = "the file has no clean-shutdown marker yet"
                        } else {
                            verdict.unclean = try ImageSessions.unclean(db)
                            if !verdict.unclean.isEmpty {
                                verdict.checkReason = "\(verdict.unclean.count) session(s) ended without closing it"
                            }
                        }
                    }
                    if verdict.checkReason != nil { try fullCheck(db, path: path) }
                } catch let error as ImageError {
                    throw error
                } catch {
                    throw ImageError(.corruptImage, "\(path) cannot be read as an image (\(error)): it may be truncated or damaged; it was left untouched")
                }
            }
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError(.corruptImage, "\(path) cannot be opened as an image (\(error)); it was left untouched")
        }
        return verdict
    }

    /// `PRAGMA quick_check` (every page read, indexes not compared with their tables): throws when it finds damage.
    private static func fullCheck(_ db: Database, path: String) throws {
        let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
        guard check == ["ok"] else {
            throw ImageError(.corruptImage, "\(path) is damaged (\(check.prefix(3).joined(separator: "; "))): "
                + "restore it from an export (`a4ps image export`) or a backup; it was left untouched")
        }
    }

    /// Marks the session closed cleanly, checkpoints the WAL into the main file and closes every connection.
    func close() {
        changeProbe.close()
        do {
            try database.write { try ImageSessions.end($0, id: sessionID) }
        } catch {
            FileHandle.standardError.write(Data("a4ps: closing \(path) (the next open will check it in full): \(error)\n".utf8))
        }
        do {
            try database.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
            try database.close()
        } catch {
            FileHandle.standardError.write(Data("a4ps: closing \(path): \(error)\n".utf8))
        }
    }
}
