import Foundation
import Testing
@testable import LivingImage

/// `a4ps image history` reads the change log a page at a time, newest page first.
@Suite struct HistoryPagingTests {
    func closedImage(_ dir: TemporaryDirectory) async throws -> String {
        let path = dir.path("a.image")
        let image = try await Image.open(at: path)
        for i in 0..<50 { try await image.defineMethod("m\(i)", on: "BRICK", source: "return \(i)") }
        image.close()
        return path
    }

    @Test func historyPagesBackwardsWithoutGapsOrOverlap() async throws {
        let dir = TemporaryDirectory()
        let path = try await closedImage(dir)
        let image = try await Image.open(at: path, create: false)
        defer { image.close() }
        let all = try image.history(proto: "BRICK", subject: nil, limit: 10_000).map(\.id)
        #expect(all.count >= 50)
        var pages: [[Int64]] = []
        var before: Int64?
        while true {
            let page = try image.history(proto: "BRICK", limit: 7, before: before).map(\.id)
            if page.isEmpty { break }
            #expect(page == page.sorted(), "a page is not oldest first")
            #expect(page.count <= 7)
            pages.append(page)
            before = page.first
        }
        #expect(Array(pages.reversed().joined()) == all)
        let bySubject = try image.history(subject: "method:m10", limit: 5)
        #expect(bySubject.count == 1)
        #expect(try image.history(subject: "method:m10", limit: 5, before: bySubject[0].id).isEmpty)
        await expectImageError(.invalidValue) { try image.history(limit: 0) }
    }
}
