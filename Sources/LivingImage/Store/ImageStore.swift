import Foundation
import GRDB

/// The image file: one SQLite database (WAL, durable commits) holding every proto and the
/// change log. Every mutation commits its rows and its change-log entry in one transaction.
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

    private init(path: String, database: DatabasePool, changeProbe: ExternalChangeProbe) {
        self.path = path
        self.database = database
        self.changeProbe = changeProbe
    }

    /// Opens an image file, creating it when `create` is set and the file does not exist.
    /// A file that is not an image, is damaged or comes from a newer a4ps is refused untouched.
    static func open(at path: String, create: Bool) throws(ImageError) -> ImageStore {
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !create {
            throw ImageError(.fileMissing, "no image at \(path): create one with `a4ps image init`")
        }
        if exists { try validateExisting(at: path) }
        do {
            var config = Configuration()
            config.busyMode = .timeout(10)
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            let pool = try DatabasePool(path: path, configuration: config)
            try ImageSchema.migrator.migrateShared(pool)
            let probe: ExternalChangeProbe
            do {
                probe = try ExternalChangeProbe(path: path)
            } catch {
                try? pool.close()
                throw error
            }
            return ImageStore(path: path, database: pool, changeProbe: probe)
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError(.storage, "cannot open the image at \(path): \(error)")
        }
    }

    /// Reads an existing file without changing it and refuses what is not a usable image.
    private static func validateExisting(at path: String) throws(ImageError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ImageError(.notAnImage, "cannot read \(path): check its permissions")
        }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        if header.isEmpty {
            throw ImageError(.notAnImage, "\(path) is an empty file, not an a4ps image: remove it or choose another path")
        }
        guard header == Data("SQLite format 3\0".utf8) else {
            throw ImageError(.notAnImage, "\(path) is not an a4ps image (not a SQLite database); it was left untouched")
        }
        do {
            // Another process may hold the file a moment (closing it checkpoints the WAL): wait.
            var config = Configuration()
            config.busyMode = .timeout(10)
            let queue = try DatabaseQueue(path: path, configuration: config)
            defer { try? queue.close() }
            try queue.read { db in
                do {
                    let check = try String.fetchAll(db, sql: "PRAGMA quick_check")
                    guard check == ["ok"] else {
                        throw ImageError(.corruptImage, "\(path) is damaged (\(check.prefix(3).joined(separator: "; "))): "
                            + "restore it from an export (`a4ps image export`) or a backup; it was left untouched")
                    }
                    guard try db.tableExists("image_meta"),
                          try String.fetchOne(db, sql: "SELECT value FROM image_meta WHERE key = 'format'") == ImageSchema.format
                    else {
                        throw ImageError(.notAnImage, "\(path) is a SQLite database but not an a4ps image; it was left untouched")
                    }
                    let known = Set(ImageSchema.migrator.migrations)
                    let applied = try ImageSchema.migrator.appliedIdentifiers(db)
                    let unknown = applied.filter { $0.hasPrefix(ImageSchema.migrationPrefix) && !known.contains($0) }
                    if !unknown.isEmpty {
                        throw ImageError(.newerSchema, "\(path) was written by a newer a4ps (schema \(unknown.sorted().joined(separator: ", "))): "
                            + "upgrade a4ps to open it; it was left untouched")
                    }
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
    }

    /// Checkpoints the WAL into the main file and closes every connection.
    func close() {
        changeProbe.close()
        do {
            try database.writeWithoutTransaction { db in _ = try db.checkpoint(.truncate) }
            try database.close()
        } catch {
            FileHandle.standardError.write(Data("a4ps: closing \(path): \(error)\n".utf8))
        }
    }
}
