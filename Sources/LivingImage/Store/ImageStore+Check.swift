import Foundation
import GRDB

extension ImageStore {
    /// Runs SQLite's full `PRAGMA integrity_check` on the file at `path` and the image's own
    /// checks, changing nothing: for `a4ps image check`, on a file in use or one that opening
    /// refuses. Damage is reported, not thrown.
    ///
    /// - Throws: ``ImageError`` `.fileMissing` when there is no file, `.notAnImage` when it is not a SQLite database.
    static func check(at path: String) throws(ImageError) -> ImageCheckReport {
        let started = ContinuousClock.now
        guard FileManager.default.fileExists(atPath: path) else {
            throw ImageError(.fileMissing, "no image at \(path): check the path (or `--image`)")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
        let header = FileHandle(forReadingAtPath: path).flatMap { handle in
            defer { try? handle.close() }
            return try? handle.read(upToCount: 16)
        } ?? Data()
        guard header == Data("SQLite format 3\0".utf8) else {
            throw ImageError(.notAnImage, "\(path) is not an a4ps image (not a SQLite database)")
        }
        var report = ImageCheckReport(path: path, problems: [], openSessions: 0, uncleanSessions: 0, fileBytes: size, seconds: 0)
        do {
            var config = Configuration()
            config.busyMode = .timeout(10)
            let queue = try DatabaseQueue(path: path, configuration: config)
            defer { try? queue.close() }
            try queue.read { db in
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check(100)")
                if integrity != ["ok"] { report.problems += integrity }
                let isImage = try db.tableExists("image_meta")
                    && String.fetchOne(db, sql: "SELECT value FROM image_meta WHERE key = 'format'") == ImageSchema.format
                if !isImage { report.problems.append("the database is not an a4ps image (no image format row)") }
                if try isImage && ImageSessions.tracked(db) {
                    let all = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM image_session") ?? 0
                    report.uncleanSessions = try ImageSessions.unclean(db).count
                    report.openSessions = all - report.uncleanSessions
                }
            }
        } catch {
            report.problems.append("SQLite cannot read the file: \(error)")
        }
        report.seconds = (ContinuousClock.now - started).checkSeconds
        return report
    }
}

extension Duration {
    fileprivate var checkSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
