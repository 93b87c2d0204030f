import Foundation

/// The first 100 bytes of a SQLite database file (see <https://www.sqlite.org/fileformat.html>),
/// read before opening it: what they say about the file's size, checked against its length.
struct SQLiteHeader {
    var pageSize: Int
    /// The page count the header records, when it is valid (the "version-valid-for" number
    /// matches the change counter; older writers left it stale).
    var pageCount: Int?

    init?(_ bytes: Data) {
        guard bytes.count >= 100 else { return nil }
        let b = [UInt8](bytes.prefix(100))
        func u32(_ at: Int) -> UInt32 { b[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
        let raw = Int(b[16]) << 8 | Int(b[17])
        pageSize = raw == 1 ? 65_536 : raw
        guard pageSize >= 512, pageSize & (pageSize - 1) == 0 else { return nil }
        pageCount = u32(92) == u32(24) ? Int(u32(28)) : nil
    }

    /// Why the file's length does not fit the header (nil when it does): a truncated or
    /// overwritten file. A file shorter than the header says beside a non-empty WAL is an
    /// unfinished checkpoint (the WAL holds the pages), not a reason to doubt it.
    func mismatch(fileSize: UInt64, walBytes: Int64 = 0) -> String? {
        if fileSize % UInt64(pageSize) != 0 {
            return "its length (\(fileSize) bytes) is not a whole number of \(pageSize)-byte pages"
        }
        if let pageCount, UInt64(pageCount) * UInt64(pageSize) > fileSize, walBytes == 0 {
            return "it is shorter (\(fileSize) bytes) than its header says (\(pageCount) pages of \(pageSize) bytes)"
        }
        return nil
    }
}
