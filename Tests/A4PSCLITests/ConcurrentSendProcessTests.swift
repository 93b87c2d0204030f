import Foundation
import Testing
@testable import LivingImage

/// Sends in several real processes on one image file: no update is lost (issue #10, item 4),
/// and a long-lived process sees what another committed on its next send (item 7).
@Suite struct ConcurrentSendProcessTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-sends-\(UUID().uuidString)")
    /// No config.toml and no model server: only the image matters here.
    var environment: [String: String] {
        ["OLLAMA_HOST": "127.0.0.1:1", "A4PS_CONFIG": dir.appendingPathComponent("none.toml").path]
    }
    static let increment = "self:set('n', (self:get('n') or 0) + 1) return true"
    /// How long a step may take before the test fails instead of hanging: generous.
    static let patience: TimeInterval = 120

    init() throws { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }

    @discardableResult
    func a4ps(_ args: String..., sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await CLIProcess.run(args, in: dir, environment: environment)
        #expect(result.status == 0, "a4ps \(args.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }

    func makeImage(_ name: String) async throws -> String {
        let path = dir.appendingPathComponent(name).path
        let image = try await Image.open(at: path)
        try await image.defineMethod("increment", on: "BRICK", source: Self.increment)
        image.close()
        return path
    }

    func counter(in path: String) async throws -> JSONValue? {
        let image = try await Image.open(at: path, create: false)
        defer { image.close() }
        return try image.slot("n", of: "BRICK")
    }

    /// Two `a4ps batch` processes, each sending the increment 50 times as fast as it can.
    @Test func incrementsFromTwoProcessesAreAllCounted() async throws {
        signal(SIGPIPE, SIG_IGN)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try await makeImage("counted.image")
        let perProcess = 50
        let (a, b) = try (BatchProcess(path: path, in: dir, environment: environment),
                          BatchProcess(path: path, in: dir, environment: environment))
        defer { a.kill(); b.kill() }
        let outcome = try await CLIProcess.offload { () -> (results: [JSONValue?], statuses: [Int32?], stderr: String) in
            // Both have the image open before either sends.
            for process in [a, b] {
                try process.write([["id": "ready", "op": "get", "proto": "BRICK", "slot": "name"]])
                _ = process.nextResult(timeout: Self.patience)
            }
            let sends: [JSONValue] = (0..<perProcess).map { ["id": .integer(Int64($0)), "op": "send", "proto": "BRICK", "selector": "increment"] }
            try a.write(sends)
            try b.write(sends)
            var results: [JSONValue?] = []
            for process in [a, b] {
                for _ in 0..<perProcess { results.append(process.nextResult(timeout: Self.patience)) }
            }
            return (results, [a.finish(timeout: Self.patience), b.finish(timeout: Self.patience)], a.stderr + b.stderr)
        }
        #expect(outcome.statuses == [0, 0], "a4ps batch did not exit cleanly: \(outcome.stderr)")
        let refused = outcome.results.filter { $0?["ok"] != true }
        #expect(refused.isEmpty, "\(refused.count) sends were refused: \(refused.prefix(3).map { $0?.jsonText ?? "no answer" })")
        let n = try await counter(in: path)
        #expect(n == .integer(Int64(2 * perProcess)))
        // One change-log entry per increment, none lost and none doubled.
        let image = try await Image.open(at: path, create: false)
        defer { image.close() }
        #expect(try image.history(proto: "BRICK", subject: "slot:n", limit: 1000).count == 2 * perProcess)
        print("\(2 * perProcess) increments from 2 a4ps batch processes: n = \(n?.jsonText ?? "nil"), \(refused.count) refused")
    }

    /// The same through `a4ps send`: two sequences of 50 processes, side by side.
    @Test func incrementsFromConcurrentSendCommandsAreAllCounted() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = try await makeImage("sent.image")
        let perSequence = 50
        let sequence = { @Sendable [dir, environment] () async throws -> Int in
            var refused = 0
            for _ in 0..<perSequence {
                let result = try await CLIProcess.run(["send", "--image", path, "BRICK", "increment"], in: dir, environment: environment)
                if result.status != 0 { refused += 1; print("refused: \(result.stderr)") }
            }
            return refused
        }
        async let first = sequence()
        async let second = sequence()
        let refused = try await first + second
        #expect(refused == 0)
        let n = try await counter(in: path)
        #expect(n == .integer(Int64(2 * perSequence)))
        print("\(2 * perSequence) increments from 2 sequences of a4ps send: n = \(n?.jsonText ?? "nil"), \(refused) refused")
    }

    /// A long-lived `a4ps batch` process sees, on its next send, a slot and a method another
    /// process changed.
    @Test func aLongLivedProcessSeesAnotherProcesssChangesOnItsNextSend() async throws {
        signal(SIGPIPE, SIG_IGN)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("watched.image").path
        let image = try await Image.open(at: path)
        try await image.defineMethod("who", on: "BRICK", source: "return {owner = self:get('owner'), from = 'old'}")
        image.close()
        let long = try BatchProcess(path: path, in: dir, environment: environment)
        defer { long.kill() }
        let who: JSONValue = ["id": "who", "op": "send", "proto": "BRICK", "selector": "who"]
        let before = try await CLIProcess.offload { try long.write([who]); return long.nextResult(timeout: Self.patience) }
        #expect(before?["answer"] == ["from": "old"], "\(before?.jsonText ?? "no answer")")

        try await a4ps("slot", "set", "--image", path, "BRICK", "owner", #""another process""#)
        let afterSlot = try await CLIProcess.offload { try long.write([who]); return long.nextResult(timeout: Self.patience) }
        #expect(afterSlot?["answer"] == ["owner": "another process", "from": "old"], "\(afterSlot?.jsonText ?? "no answer")")

        try await a4ps("method", "define", "--image", path, "BRICK", "who", "--source", "return {owner = self:get('owner'), from = 'new'}")
        let afterMethod = try await CLIProcess.offload { try long.write([who]); return long.nextResult(timeout: Self.patience) }
        #expect(afterMethod?["answer"] == ["owner": "another process", "from": "new"], "\(afterMethod?.jsonText ?? "no answer")")
        #expect(try await CLIProcess.offload { long.finish(timeout: Self.patience) } == 0)
    }

    /// The same for an `Image` open in this process while an `a4ps` process changes its file.
    @Test func anOpenImageSeesAnotherProcesssChangesOnItsNextSend() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("open.image").path
        let image = try await Image.open(at: path, interpreters: 1)
        defer { image.close() }
        try await image.defineMethod("owner", on: "BRICK", source: "return self:get('owner')")
        #expect(try await image.send("BRICK", "owner") == .null)
        try await a4ps("slot", "set", "--image", path, "BRICK", "owner", #""cli""#)
        #expect(try await image.send("BRICK", "owner") == "cli")
        #expect(image.memory.proto(named: "BRICK")?.slots["owner"] == "cli")
        try await a4ps("method", "define", "--image", path, "BRICK", "owner", "--source", "return 'redefined'")
        #expect(try await image.send("BRICK", "owner") == "redefined")
        // Its own next change builds on what the other process wrote.
        try await image.setSlot("mine", of: "BRICK", to: true)
        #expect(image.memory.proto(named: "BRICK")?.methods["owner"]?.source == "return 'redefined'")
    }
}
