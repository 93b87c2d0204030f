import Foundation
import GRDB
import Testing
@testable import LivingImage

/// Compaction of the change log (`a4ps image compact`): old entries go, each proto's latest and
/// what holds name stay, and rolling back to any kept change rebuilds the same proto as before.
@Suite struct ChangeLogCompactionTests {
    static let day: TimeInterval = 86_400
    /// The moment the tests compact at: the log's entries are backdated before it.
    let now = Date()

    /// Dates the entries up to `id` (all when nil) `days` days before `now`.
    func backdate(_ image: Image, through id: Int64? = nil, days: Double) throws {
        try image.database.write { db in
            try db.execute(sql: "UPDATE changes SET at = ? WHERE id <= ?",
                           arguments: [now.timeIntervalSince1970 - days * Self.day, id ?? .max])
        }
    }

    func ids(_ image: Image, proto: String? = nil) throws -> [Int64] {
        try image.history(proto: proto, limit: 1_000_000).map(\.id)
    }

    /// Each proto's latest entry and the one before it: what compaction always keeps.
    func lastTwoOfEachProto(_ image: Image) throws -> Set<Int64> {
        Set(Dictionary(grouping: try image.history(limit: 1_000_000), by: \.proto).values.flatMap { $0.map(\.id).sorted().suffix(2) })
    }

    /// The file's size, free space and auto-vacuum mode, read without waiting.
    func pageCounts(_ image: Image) throws -> (bytes: Int64, freeBytes: Int64, autoVacuum: Int) {
        try image.database.read { db in try ImageStore.pageCounts(db) }
    }

    /// Rewrites the file without incremental vacuum, as images were before it.
    func turnOffIncrementalVacuum(_ image: Image) throws {
        try image.database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA auto_vacuum = NONE")
            try db.execute(sql: "VACUUM")
        }
    }

    func baselineCount(_ image: Image) throws -> Int {
        try image.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM change_baselines") ?? 0 }
    }

    /// Every proto (`names`) as replaying the log rebuilds it after each change of `changes`.
    func states(_ image: Image, _ names: [String], after changes: [Int64]) throws -> [String: Proto?] {
        var states: [String: Proto?] = [:]
        for change in changes {
            for name in names { states["\(name)@\(change)"] = .some(try image.memory.store.state(of: name, afterChange: change)) }
        }
        return states
    }

    @Test func oldEntriesGoAndEachProtosLatestStays() async throws {
        try await withImage { image, _ in
            for i in 0..<10 { try await image.defineMethod("m\(i)", on: "BRICK", source: "return \(i)") }
            try await image.setSlot("mood", of: "ROBIN", to: "calm")
            try backdate(image, days: 100)
            let recent = try #require(try await image.setSlot("mood", of: "BRICK", to: "sharp"))
            let protosBefore = image.memory.snapshot()
            let lastTwo = try lastTwoOfEachProto(image)
            let old = try ids(image).filter { $0 != recent.id }

            let report = try image.compactHistory(keepingDays: 30, now: now)
            let left = try ids(image)
            #expect(Set(left) == lastTwo, "only each proto's latest entry and the one before it are left")
            #expect(left.contains(recent.id))
            #expect(report.removedChanges == old.count - (lastTwo.count - 1))
            #expect(report.keptAsLatest == lastTwo.count - 1, "all but BRICK's newest entry were old")
            #expect(report.removedByProto["BRICK"] == 10 && report.removedByProto["ROBIN"] == nil)
            #expect(report.removedDeltas >= report.removedChanges)
            #expect(report.removedIDs == Set(old).subtracting(lastTwo).min()!...Set(old).subtracting(lastTwo).max()!)
            #expect(image.memory.snapshot() == protosBefore, "compaction changes no proto")

            // A second compaction at once finds nothing more to remove.
            let again = try image.compactHistory(keepingDays: 30, now: now)
            #expect(again.removedChanges == 0 && again.baselinesWritten == 0 && again.reclaim == .nothing)
            await expectImageError(.invalidValue) { try image.compactHistory(keepingDays: 0, now: now) }
        }
    }

    @Test func rollingBackToAKeptChangeRebuildsTheSameProtoAfterCompaction() async throws {
        try await withImage { image, _ in
            _ = try await image.memory.create(Proto(name: "Scratch", parent: "Persona"), author: .architect, reason: "scratch")
            var made: [Int64] = []
            for i in 0..<6 {
                made.append(try #require(try await image.setSlot("n", of: "BRICK", to: .int(i))).id)
                made.append(try #require(try await image.defineMethod("step\(i)", on: "Scratch", source: "return \(i)")).id)
                if i == 2 { made.append(try #require(try await image.setSlot("n", of: "BRICK", to: nil)).id) }
                if i == 3 { made.append(try #require(try await image.removeMethod("step1", from: "Scratch")).id) }
                made.append(try #require(try await image.setSlot("seen", of: "ROBIN", to: .int(i))).id)
            }
            // Entries in the middle kept by a hold split the removed runs: baselines on both sides.
            let held = [made[4], made[11]]
            let hold = ChangeLogHold(reason: "test undo points") { _ in held }
            try backdate(image, days: 100)
            let fresh = try #require(try await image.setSlot("n", of: "BRICK", to: 99)).id
            let names = ["BRICK", "ROBIN", "Scratch", "Persona", "ALFRED"]
            let keptAfterFirst = try lastTwoOfEachProto(image).union(held)
            #expect(keptAfterFirst.contains(fresh))
            let before = try states(image, names, after: keptAfterFirst.sorted())

            let report = try image.compactHistory(keepingDays: 30, now: now, holds: [hold])
            #expect(Set(try ids(image)) == keptAfterFirst)
            #expect(report.keptByHold == ["test undo points": 2])
            #expect(try report.baselinesWritten >= 2 && baselineCount(image) == report.baselinesWritten)
            #expect(try states(image, names, after: keptAfterFirst.sorted()) == before, "a rollback to a kept change rebuilds what it did")

            // A later compaction (the hold released, more entries old) builds on the first one's baselines.
            try await image.setSlot("later", of: "ROBIN", to: true)
            try await image.setSlot("n", of: "BRICK", to: 100)
            try backdate(image, days: 100)
            let newest = try #require(try await image.defineMethod("step9", on: "Scratch", source: "return 9")).id
            let keptAfterSecond = try lastTwoOfEachProto(image)
            let beforeSecond = try states(image, names, after: keptAfterSecond.sorted())
            let second = try image.compactHistory(keepingDays: 30, now: now)
            #expect(Set(try ids(image)) == keptAfterSecond)
            #expect(keptAfterSecond.contains(newest))
            #expect(second.baselinesRemoved > 0, "the first compaction's baselines no kept entry needs go")
            #expect(try states(image, names, after: keptAfterSecond.sorted()) == beforeSecond)

            // A real rollback to a kept change works; one to a removed change is refused, naming compaction.
            let scratchLatest = try #require(try ids(image, proto: "Scratch").last)
            try await image.setSlot("extra", of: "Scratch", to: "x")
            let rolledBack = try await image.rollback("Scratch", toChange: scratchLatest)
            #expect(rolledBack.kind == "rollback")
            #expect(image.memory.proto(named: "Scratch")?.slots["extra"] == nil)
            #expect(image.memory.proto(named: "Scratch")?.methods.keys.sorted() == ["step0", "step2", "step3", "step4", "step5", "step9"])
            let refused = await expectImageError(.rollback) { try await image.rollback("BRICK", toChange: made[0]) }
            #expect(refused?.description.contains("a4ps image compact") == true)
        }
    }

    @Test func aDryRunChangesNothing() async throws {
        try await withImage { image, _ in
            for i in 0..<5 { try await image.setSlot("s\(i)", of: "BABS", to: .int(i)) }
            try backdate(image, days: 10)
            try await image.setSlot("s0", of: "BABS", to: "now")
            let fingerprint = try ImageFingerprint(image)
            let bytes = try pageCounts(image).bytes

            let dry = try image.compactHistory(keepingDays: 7, now: now, dryRun: true)
            #expect(dry.dryRun && dry.removedChanges > 0 && dry.reclaim == .nothing)
            #expect(try ImageFingerprint(image) == fingerprint)
            #expect(try baselineCount(image) == 0)
            #expect(try pageCounts(image).bytes == bytes)

            let real = try image.compactHistory(keepingDays: 7, now: now)
            #expect(real.removedChanges == dry.removedChanges && real.removedDeltas == dry.removedDeltas)
            #expect(real.removedByProto == dry.removedByProto && real.baselinesWritten == dry.baselinesWritten)
            #expect(try ImageFingerprint(image).changes == fingerprint.changes - dry.removedChanges)
        }
    }

    @Test func changesNewerThanTheCutoffStay() async throws {
        try await withImage { image, _ in
            let first = try #require(try await image.setSlot("a", of: "BRICK", to: 1)).id
            try await image.setSlot("b", of: "BRICK", to: 2)
            try backdate(image, days: 5)
            let all = try ids(image)
            let report = try image.compactHistory(keepingDays: 6, now: now)
            #expect(report.removedChanges == 0 && report.keptTotal == 0)
            #expect(try ids(image) == all)
            #expect(all.contains(first))
        }
    }

    @Test func freedPagesGoBackToTheDisk() async throws {
        try await withImage { image, dir in
            let big = String(repeating: "-- padding so that the change log takes pages\n", count: 80)
            for i in 0..<100 { try await image.defineMethod("m\(i % 3)", on: "BRICK", source: big + "return \(i)") }
            try backdate(image, days: 100)
            try await image.setSlot("fresh", of: "BRICK", to: true)
            #expect(try pageCounts(image).autoVacuum == 2, "a new image uses incremental vacuum")
            let report = try image.compactHistory(keepingDays: 30, now: now)
            #expect(report.reclaim == .returnedToDisk)
            #expect(report.bytesAfter < report.bytesBefore / 2, "\(report.bytesBefore) → \(report.bytesAfter)")
            #expect(report.freeBytesAfter == 0)

            // An image from before incremental vacuum keeps the pages for reuse, unless rewriting is allowed.
            let old = try await Image.open(at: dir.path("old.image"), limits: testLimits)
            defer { old.close() }
            try turnOffIncrementalVacuum(old)
            #expect(try pageCounts(old).autoVacuum == 0)
            for i in 0..<100 { try await old.defineMethod("m\(i % 3)", on: "BRICK", source: big + "return \(i)") }
            try backdate(old, days: 100)
            try await old.setSlot("fresh", of: "BRICK", to: true)
            let kept = try old.compactHistory(keepingDays: 30, now: now)
            #expect(kept.reclaim == .keptForReuse && kept.bytesAfter >= kept.bytesBefore && kept.freeBytesAfter > 0)
            let rewritten = try old.compactHistory(keepingDays: 30, now: now, rewriteIfNeeded: true)
            #expect(rewritten.reclaim == .rewritten && rewritten.bytesAfter < kept.bytesAfter)
            #expect(try pageCounts(old).autoVacuum == 2)
        }
    }
}
