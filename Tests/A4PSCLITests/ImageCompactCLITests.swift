import Foundation
import GRDB
import LivingImage
import TestWaiting
import Testing

/// `a4ps image compact`: its retention from `--keep-days` or `[system] history_keep_days`, its
/// refusal without one, its dry run, and its refusal beside a server (which compacts on its own).
@Suite struct ImageCompactCLITests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-compact-\(UUID().uuidString)")
    var imagePath: String { dir.appendingPathComponent("a4ps.image").path }
    var configPath: String { dir.appendingPathComponent("config.toml").path }

    init() throws { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }

    @discardableResult
    func a4ps(_ args: String..., expect status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) async throws -> CLIProcess.Output {
        let result = try await CLIProcess.run(args, in: dir, environment: ["A4PS_CONFIG": configPath, "A4PS_IMAGE": imagePath])
        #expect(result.status == status, "a4ps \(args.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
        return result
    }

    func writeConfig(_ system: String) throws {
        try (CLIProcess.ollamaOnlyConfig + "\n[system]\n" + system + "\n").write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// An image whose change log holds old changes (100 days) and one new change to BRICK.
    func imageWithOldChanges() async throws {
        try await a4ps("image", "init")
        for i in 0..<6 { try await a4ps("slot", "set", "BRICK", "n", "\(i)") }
        try await a4ps("slot", "set", "ROBIN", "n", "1")
        let queue = try DatabaseQueue(path: imagePath)
        try await queue.write { db in
            try db.execute(sql: "UPDATE changes SET at = ?", arguments: [Date().timeIntervalSince1970 - 100 * 86_400])
        }
        try queue.close()
        try await a4ps("slot", "set", "BRICK", "n", "99")
    }

    func changeIDs() async throws -> [Int64] {
        try await changes().compactMap { $0["id"]?.int64Value }
    }

    func changes() async throws -> [JSONValue] {
        try #require(try JSONValue(parsing: try await a4ps("image", "history", "--json", "--limit", "1000").stdout).arrayValue)
    }

    /// How many entries compaction removes when all but the newest are old: all but each proto's
    /// latest and the one before it.
    func removableCount() async throws -> Int {
        let perProto = Dictionary(grouping: try await changes(), by: { $0["proto"]?.stringValue ?? "" }).values
        return perProto.reduce(0) { $0 + max(0, $1.count - 2) }
    }

    @Test func compactFollowsTheRetentionAndRefusesWithoutOne() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeConfig("")
        try await imageWithOldChanges()
        let all = try await changeIDs()
        let removable = try await removableCount()
        #expect(removable >= 5)  // BRICK's creation and its first five slot writes

        let refused = try await a4ps("image", "compact", expect: 64)
        #expect(refused.stderr.contains("no retention is set") && refused.stderr.contains("history_keep_days"), "\(refused.stderr)")

        let dry = try await a4ps("image", "compact", "--keep-days", "30", "--dry-run")
        #expect(dry.stdout.contains("dry run: would remove \(removable) change(s)") && dry.stdout.contains("nothing was changed"), "\(dry.stdout)")
        #expect(try await changeIDs() == all)

        try writeConfig("history_keep_days = 0")
        let badConfig = try await a4ps("image", "compact", expect: 1)
        #expect(badConfig.stderr.contains("system.history_keep_days") && badConfig.stderr.contains("1 or more"), "\(badConfig.stderr)")

        try writeConfig("history_keep_days = 30")
        let compacted = try JSONValue(parsing: try await a4ps("image", "compact", "--json").stdout)
        #expect(compacted["removed_changes"]?.intValue == removable && compacted["dry_run"]?.boolValue == false)
        // A few small entries may free no whole page; a page they do free goes back to the disk (a new image).
        #expect(compacted["keep_days"]?.intValue == 30 && ["nothing", "returnedToDisk"].contains(compacted["reclaim"]?.stringValue))
        #expect(compacted["free_bytes_after"]?.intValue == 0)
        let left = try await changeIDs()
        #expect(left.count == all.count - removable)
        let removed = try #require(Set(all).subtracting(left).min())

        let robinLatest = try #require(try JSONValue(parsing: try await a4ps("image", "history", "ROBIN", "--json").stdout).arrayValue?.last?["id"]?.int64Value)
        try await a4ps("slot", "set", "ROBIN", "n", "2")
        #expect(try await a4ps("image", "rollback", "ROBIN", "--to", "\(robinLatest)").stdout.contains("rollback"))
        #expect(try await a4ps("slot", "get", "ROBIN", "n").stdout.contains("1"))
        let gone = try await a4ps("image", "rollback", "BRICK", "--to", "\(removed)", expect: 1)
        #expect(gone.stderr.contains("a4ps image compact"), "\(gone.stderr)")
    }

    @Test func compactRefusesBesideAServerThatCompactsOnItsOwn() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeConfig("history_keep_days = 30")
        try await imageWithOldChanges()
        let expected = try await changeIDs().count - removableCount()
        let server = try ServeProcess(arguments: ["serve", "--port", "0"], in: dir,
                                      environment: ["A4PS_CONFIG": configPath, "A4PS_IMAGE": imagePath, "OLLAMA_HOST": "127.0.0.1:1"])
        defer { server.kill() }
        _ = try #require(await server.port(), "a4ps serve did not start: \(server.stderr)")
        await waitUntil("the server compacts the change log on start") { (try? await changeIDs().count) == expected }

        let refused = try await a4ps("image", "compact", expect: 1)
        #expect(refused.stderr.contains("a4ps serve (process \(server.pid)) holds"), "\(refused.stderr)")
        let dry = try await a4ps("image", "compact", "--dry-run")
        #expect(dry.stdout.contains("nothing to remove"), "\(dry.stdout)")
        kill(server.pid, SIGTERM)
        #expect(try await CLIProcess.offload { server.waitForExit(timeout: 60) } == 0)
    }
}
