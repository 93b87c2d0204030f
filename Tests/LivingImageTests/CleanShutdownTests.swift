import Foundation
import GRDB
import Testing
@testable import LivingImage

/// The full integrity check runs when opening only if the file was not closed cleanly (or on
/// `a4ps image check`); damaged and foreign files are still refused.
@Suite struct CleanShutdownTests {
    /// An image with some methods, closed cleanly.
    func closedImage(_ dir: TemporaryDirectory) async throws -> String {
        let path = dir.path("a.image")
        let image = try await Image.open(at: path)
        for i in 0..<50 { try await image.defineMethod("m\(i)", on: "BRICK", source: "return \(i) -- " + String(repeating: "x", count: 500)) }
        image.close()
        return path
    }

    func sessions(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { try String.fetchAll($0, sql: "SELECT process FROM image_session ORDER BY id") }
    }

    func recordSession(_ process: String, in path: String) throws {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        try queue.write {
            try $0.execute(sql: "INSERT INTO image_session(process, opened_at) VALUES (?, 0)", arguments: [process])
        }
    }

    @Test func aCleanlyClosedImageOpensWithoutTheFullCheck() async throws {
        let dir = TemporaryDirectory()
        let path = try await closedImage(dir)
        #expect(try sessions(path).isEmpty, "a clean close left its session marked open")
        let image = try await Image.open(at: path, create: false)
        #expect(image.openCheckReason == nil)
        #expect(try sessions(path) == [ProcessName.current])
        image.close()
        #expect(try sessions(path).isEmpty)
    }

    @Test func aSessionWhoseProcessWasKilledGetsTheFullCheckOnce() async throws {
        let dir = TemporaryDirectory()
        let path = try await closedImage(dir)
        let holder = ChildProcess()
        holder.executableURL = URL(fileURLWithPath: "/bin/sleep")
        holder.arguments = ["120"]
        try holder.run()
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL); holder.waitUntilExit() } }
        try recordSession(ProcessName.name(of: holder.processIdentifier), in: path)

        // While the holder lives, its session is open, not unclean.
        let whileHeld = try await Image.open(at: path, create: false)
        #expect(whileHeld.openCheckReason == nil)
        whileHeld.close()

        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        let afterKill = try await Image.open(at: path, create: false)
        #expect(afterKill.openCheckReason?.contains("ended without closing") == true)
        afterKill.close()
        #expect(try sessions(path).isEmpty, "the unclean session was not forgotten after the check passed")

        let next = try await Image.open(at: path, create: false)
        #expect(next.openCheckReason == nil)
        next.close()
    }

    @Test func aDamagedImageLeftOpenIsRefusedAndImageCheckReportsIt() async throws {
        let dir = TemporaryDirectory()
        let path = try await closedImage(dir)
        try recordSession("pid:2147483646", in: path)   // a process that cannot exist
        let report = try Image.check(at: path)
        #expect(report.isSound && report.uncleanSessions == 1)

        let queue = try DatabaseQueue(path: path)
        try await queue.writeWithoutTransaction { _ = try $0.checkpoint(.truncate) }
        try queue.close()
        var damaged = try Data(contentsOf: URL(fileURLWithPath: path))
        for i in stride(from: 4096, to: damaged.count, by: 97) { damaged[i] ^= 0x5A }
        try damaged.write(to: URL(fileURLWithPath: path))
        try? FileManager.default.removeItem(atPath: path + "-wal")
        try? FileManager.default.removeItem(atPath: path + "-shm")

        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        await expectImageError(.corruptImage) { try await Image.open(at: path, create: false) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the file was modified")
        let damagedReport = try Image.check(at: path)
        #expect(!damagedReport.isSound && !damagedReport.problems.isEmpty)
    }

    @Test func aFileFromBeforeTheMarkerIsCheckedOnceThenTracked() async throws {
        let dir = TemporaryDirectory()
        let path = try await closedImage(dir)
        let queue = try DatabaseQueue(path: path)
        try await queue.write {
            try $0.execute(sql: "DROP TABLE image_session; DELETE FROM grdb_migrations WHERE identifier = ?",
                           arguments: [ImageSessions.migration])
        }
        try queue.close()
        let first = try await Image.open(at: path, create: false)
        #expect(first.openCheckReason?.contains("no clean-shutdown marker") == true)
        first.close()
        let second = try await Image.open(at: path, create: false)
        #expect(second.openCheckReason == nil)
        second.close()
    }

    @Test func aTruncatedImageIsRefusedEvenIfClosedCleanly() async throws {
        let dir = TemporaryDirectory()
        let path = try await closedImage(dir)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        try original.prefix(original.count - 4096).write(to: URL(fileURLWithPath: path))
        await expectImageError(.corruptImage) { try await Image.open(at: path, create: false) }
    }

    @Test func imageCheckOnASoundImageInUse() async throws {
        let dir = TemporaryDirectory()
        let path = try await closedImage(dir)
        let image = try await Image.open(at: path, create: false)
        defer { image.close() }
        let report = try Image.check(at: path)
        #expect(report.isSound && report.openSessions == 1 && report.uncleanSessions == 0)
        #expect(report.fileBytes > 0)
        await expectImageError(.fileMissing) { try Image.check(at: dir.path("none.image")) }
    }
}
