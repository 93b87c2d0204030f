import Foundation
import Testing

@testable import LivingImage

/// The header check that decides whether an image is read page by page before it opens.
@Suite struct SQLiteHeaderTests {
    /// A header of `pages` pages of 4096 bytes whose page count is valid.
    static func header(pages: UInt32) -> Data {
        var bytes = [UInt8](repeating: 0, count: 100)
        bytes.replaceSubrange(0..<16, with: Array("SQLite format 3\0".utf8))
        bytes[16] = 0x10; bytes[17] = 0x00  // 4096
        func put(_ value: UInt32, at offset: Int) {
            for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * (3 - i))) }
        }
        put(7, at: 24)      // change counter
        put(pages, at: 28)  // page count
        put(7, at: 92)      // valid for change 7
        return Data(bytes)
    }

    @Test func aFileShorterThanItsHeaderIsDoubtedUnlessAWALHoldsTheRest() throws {
        let header = try #require(SQLiteHeader(Self.header(pages: 100)))
        #expect(header.mismatch(fileSize: 100 * 4096) == nil)
        #expect(header.mismatch(fileSize: 50 * 4096)?.contains("shorter") == true)
        // An unfinished checkpoint: the pages are still in the WAL, SQLite reads them from there.
        #expect(header.mismatch(fileSize: 50 * 4096, walBytes: 4096 * 60) == nil)
        // A length that is not whole pages is doubted whatever the WAL holds.
        #expect(header.mismatch(fileSize: 50 * 4096 + 10, walBytes: 4096 * 60) != nil)
    }
}
