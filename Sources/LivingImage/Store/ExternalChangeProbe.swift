import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Tells cheaply whether the image file holds change-log entries newer than those an
/// ``ObjectMemory`` has loaded: entries another process (or another `Image` on the same file)
/// committed. It is asked before every send, so its common answer ("nothing new") must cost far
/// less than the send.
///
/// The change log's last id, read on a connection of the probe's own, is the answer; reading it
/// takes a read transaction (tens of microseconds). So the probe first looks at the WAL-index
/// header (see <https://www.sqlite.org/walformat.html>), which every connection, in every
/// process, rewrites when it commits (`iChange`, `mxFrame`, the checksums): while it holds the
/// same bytes as when the probe last found nothing new in the log, nothing was committed and the
/// probe answers at once. A commit in progress may be missed by one check; a commit that has
/// returned to its writer never is.
///
/// The header is read where SQLite maps it for the probe's own connection (the VFS's
/// `xShmMap`), so it stays mapped exactly as long as that connection is open. The probe never
/// opens the `-shm` file itself: closing a descriptor would drop the POSIX locks SQLite holds on
/// it for the whole process. Without a WAL index it reads the log every time.
final class ExternalChangeProbe: @unchecked Sendable {
    struct Header: Equatable {
        var words: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        static func == (a: Header, b: Header) -> Bool {
            a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2
                && a.words.3 == b.words.3 && a.words.4 == b.words.4 && a.words.5 == b.words.5
        }
    }

    private let connection: DatabaseQueue
    /// The first copy of the WAL-index header (48 bytes), or nil; guarded by `open`.
    private let header: UnsafeRawPointer?
    /// True until ``close()``: held while the header is read, so it is never read once unmapped.
    private let open = Mutex(true)
    /// The last change id the memory has loaded.
    private let seen = Atomic<Int64>(0)
    /// The WAL-index header as it was before the probe last found nothing new in the log.
    private let quiet = Mutex<Header?>(nil)

    /// Opens the probe on an image whose WAL is already set up (the store's pool is open).
    init(path: String) throws(ImageError) {
        do {
            var config = Configuration()
            config.readonly = true
            config.busyMode = .timeout(10)
            config.label = "a4ps.change-probe"
            connection = try DatabaseQueue(path: path, configuration: config)
            header = try connection.inDatabase { db in
                _ = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM changes")   // opens the WAL index
                return Self.mapHeader(db)
            }
        } catch {
            throw ImageError(.storage, "cannot open \(path) to watch for other processes' changes: \(error)")
        }
    }

    /// Whether the quick look at the WAL-index header is available.
    var readsWALIndex: Bool { header != nil }

    func close() {
        open.withLock { $0 = false }
        try? connection.close()
    }

    /// Records that the memory has loaded every change up to `id`.
    func saw(_ id: Int64) {
        seen.store(id, ordering: .releasing)
    }

    /// Whether the file has changes newer than the last one the memory saw. A file that cannot
    /// be read answers yes: the memory's own reading then reports the error.
    func hasNewChanges() -> Bool {
        let before = readHeader()
        if let before, quiet.withLock({ $0 == before }) { return false }
        // The header is read before the log: a commit that lands in between changes it again.
        guard let last = lastChangeInFile() else { return true }
        let new = last > seen.load(ordering: .acquiring)
        if !new, let before { quiet.withLock { $0 = before } }
        return new
    }

    /// The change log's last id, read from the file (nil when it cannot be read).
    func lastChangeInFile() -> Int64? {
        try? connection.inDatabase { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(id) FROM changes")) ?? 0
        }
    }

    /// The header's bytes now (mid-update, they differ from any quiet state).
    private func readHeader() -> Header? {
        guard let header else { return nil }
        return open.withLock { open in
            guard open else { return nil }
            return Header(words: (header.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                                  header.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                                  header.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                                  header.loadUnaligned(fromByteOffset: 24, as: UInt64.self),
                                  header.loadUnaligned(fromByteOffset: 32, as: UInt64.self),
                                  header.loadUnaligned(fromByteOffset: 40, as: UInt64.self)))
        }
    }

    /// The start of the WAL index (its header) as SQLite maps it for `db`'s connection.
    private static func mapHeader(_ db: Database) -> UnsafeRawPointer? {
        var file: UnsafeMutablePointer<sqlite3_file>?
        guard sqlite3_file_control(db.sqliteConnection, "main", SQLITE_FCNTL_FILE_POINTER, &file) == SQLITE_OK,
              let file, let methods = file.pointee.pMethods, methods.pointee.iVersion >= 2,
              let map = methods.pointee.xShmMap else { return nil }
        var region: UnsafeMutableRawPointer?
        guard map(file, 0, 32 * 1024, 0, &region) == SQLITE_OK, let region else { return nil }
        return UnsafeRawPointer(region)
    }
}
