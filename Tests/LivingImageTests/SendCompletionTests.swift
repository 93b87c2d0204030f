import Foundation
import GRDB
import Synchronization
import Testing
@testable import LivingImage

/// A send with a completion: the completion's own rows commit in the transaction of the send's
/// slot writes, sends made through its scope see those writes and join them, and a failure of
/// any part commits nothing.
@Suite struct SendCompletionTests {
    struct Refused: Error {}

    func prepare(_ image: Image) async throws {
        try await image.database.write { try $0.execute(sql: "CREATE TABLE companion(note TEXT NOT NULL)") }
        try await image.defineMethod("mark", on: "BRICK", source: "self:set('marked', (self:get('marked') or 0) + 1) return 'marked'")
        try await image.defineMethod("peek", on: "BRICK", source: "self:set('peeked', self:get('marked')) return self:get('marked')")
    }

    func notes(_ image: Image) throws -> [String] {
        try image.database.read { try String.fetchAll($0, sql: "SELECT note FROM companion") }
    }

    @Test func theCompletionsRowsAndTheScopesSendsCommitWithTheSlotWrites() async throws {
        try await withImage { image, _ in
            try await prepare(image)
            let seen = try await image.send("BRICK", "mark") { answer, scope in
                let peeked = try await scope.send("BRICK", "peek")
                return SendCompletion(peeked) { db in
                    try db.execute(sql: "INSERT INTO companion(note) VALUES (?)", arguments: [answer.stringValue])
                }
            }
            #expect(seen == 1, "a send through the scope did not see the staged write")
            #expect(try notes(image) == ["marked"])
            #expect(try image.slot("marked", of: "BRICK") == 1)
            #expect(try image.slot("peeked", of: "BRICK") == 1)
            #expect(try image.history(proto: "BRICK").last?.deltas.map(\.subject).sorted() == ["slot:marked", "slot:peeked"])
        }
    }

    @Test func aCompletionWhoseWriteFailsCommitsNothing() async throws {
        try await withImage { image, _ in
            try await prepare(image)
            do {
                _ = try await image.send("BRICK", "mark") { _, scope in
                    _ = try await scope.send("BRICK", "peek")
                    return SendCompletion(0) { db in
                        try db.execute(sql: "INSERT INTO companion(note) VALUES ('half')")
                        throw Refused()
                    }
                }
                Issue.record("the send succeeded although its completion's write failed")
            } catch {
                #expect("\(error)".contains("nothing was changed"), "\(error)")
            }
            #expect(try notes(image).isEmpty)
            #expect(try image.slot("marked", of: "BRICK") == nil)
            #expect(try image.slot("peeked", of: "BRICK") == nil)
        }
    }

    @Test func aCompletionThatThrowsCommitsNothingAndAScopeDoesNotOutliveIt() async throws {
        try await withImage { image, _ in
            try await prepare(image)
            let kept = Mutex<SendScope?>(nil)
            await #expect(throws: Refused.self) {
                _ = try await image.send("BRICK", "mark") { (_, scope) -> SendCompletion<Int> in
                    kept.withLock { $0 = scope }
                    throw Refused()
                }
            }
            #expect(try image.slot("marked", of: "BRICK") == nil)
            let late = try #require(kept.withLock { $0 })
            let error = await expectImageError(.methodFailed) { try await late.send("BRICK", "mark") }
            #expect(error?.description.contains("has ended") == true)
            #expect(try image.slot("marked", of: "BRICK") == nil)
        }
    }
}
