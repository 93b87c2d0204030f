import Foundation
import TestWaiting
import Testing
@testable import LivingImage

/// Compare-and-swap across real processes: `a4ps` processes change an image file that this
/// process, or another `a4ps`, holds open at the same time. A change made on a stale copy of a
/// proto must never overwrite another process's change, and no acknowledged change is lost.
@Suite struct CrossProcessTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-xproc-\(UUID().uuidString)")
    /// No config.toml and no model server: only the image matters here.
    var environment: [String: String] {
        ["OLLAMA_HOST": "127.0.0.1:1", "A4PS_CONFIG": dir.appendingPathComponent("none.toml").path]
    }

    init() throws { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }

    @discardableResult
    func a4ps(_ args: String..., sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await CLIProcess.run(args, in: dir, environment: environment)
        #expect(result.status == 0, "a4ps \(args.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
        return result.stdout
    }

    @Test func aChangeMadeByAnotherProcessIsNeverOverwritten() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("shared.image").path
        let first = try await Image.open(at: path, interpreters: 1)
        defer { first.close() }
        // Another process changes BRICK; `first` still holds the old BRICK in memory.
        try await a4ps("slot", "set", "--image", path, "BRICK", "owner", #""second""#)
        let stale = try #require(first.memory.proto(named: "BRICK"))
        #expect(stale.slots["owner"] == nil)
        var clone = stale.clone()
        clone.slots["owner"] = "first"
        do {
            try await first.memory.swap(clone, expecting: stale.version, author: .architect, reason: "stale")
            Issue.record("a swap on a stale BRICK overwrote the other process's change")
        } catch {
            #expect(error.code == .conflict, "\(error)")
        }
        // The conflict reloaded `first`; a change on a fresh clone keeps both, in order.
        #expect(first.memory.proto(named: "BRICK")?.slots["owner"] == "second")
        try await first.defineMethod("mine", on: "BRICK", source: "return self:get('owner')")
        #expect(try await first.send("BRICK", "mine") == "second")
        // A method's slot writes, made while another process changed the proto, are reapplied
        // on the reloaded proto: both processes' writes survive.
        try await first.defineMethod("claim", on: "BRICK", source: "self:set('owner', 'first') return true")
        try await a4ps("slot", "set", "--image", path, "BRICK", "other", "1")
        #expect(try await first.send("BRICK", "claim") == true)
        // A third process sees what both wrote.
        #expect(try await a4ps("slot", "get", "--image", path, "BRICK", "owner").contains(#""first""#))
        #expect(try await a4ps("slot", "get", "--image", path, "BRICK", "other").trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        #expect(try await a4ps("send", "--image", path, "BRICK", "mine").contains("first"))
    }

    /// One command to `a4ps batch` and the change it asks for (each command its own slot or method).
    struct Command: Sendable {
        let id: String
        let line: JSONValue
        let proto: String
        let slot: String?
        let value: JSONValue?
        let selector: String?
        let source: String?

        static func set(_ id: String, _ proto: String, _ slot: String, _ value: JSONValue) -> Command {
            Command(id: id, line: ["id": .string(id), "op": "set", "proto": .string(proto), "slot": .string(slot), "value": value],
                    proto: proto, slot: slot, value: value, selector: nil, source: nil)
        }

        static func define(_ id: String, _ proto: String, _ selector: String, _ source: String) -> Command {
            Command(id: id, line: ["id": .string(id), "op": "define", "proto": .string(proto), "selector": .string(selector),
                                   "source": .string(source)],
                    proto: proto, slot: nil, value: nil, selector: selector, source: source)
        }

        static func forProcess(_ name: String, step: Int) -> Command {
            let id = "\(name)\(step)"
            return step % 2 == 0 ? .set(id, "BRICK", "s_\(id)", .integer(Int64(step)))
                                 : .define(id, "BRICK", "m_\(id)", "-- \(id)\nreturn \(step)")
        }
    }

    @Test func twoProcessesRacingCompareAndSwapLoseNoChangeSilently() async throws {
        signal(SIGPIPE, SIG_IGN)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("raced.image").path
        try await Image.open(at: path).close()

        let lockstep = 20, racing = 120
        let commands = (a: (0..<(lockstep + racing)).map { Command.forProcess("a", step: $0) },
                        b: (0..<(lockstep + racing)).map { Command.forProcess("b", step: $0) })
        let (a, b) = try (BatchProcess(path: path, in: dir, environment: environment),
                          BatchProcess(path: path, in: dir, environment: environment))
        defer { a.kill(); b.kill() }

        let outcome = try await CLIProcess.offload { () -> (results: [String: JSONValue], statuses: [Int32?], stderr: String) in
            var results: [String: JSONValue] = [:]
            func record(_ result: JSONValue?) {
                if let result, let id = result["id"]?.stringValue { results[id] = result }
            }
            // Both processes have the image open before anything changes.
            for process in [a, b] {
                try process.write([["id": "ready", "op": "get", "proto": "BRICK", "slot": "name"]])
                _ = process.nextResult(timeout: patienceSeconds)
            }
            // In lockstep, every change after the first is made by a process whose copy of BRICK
            // the other process has just made stale: each must detect it, reload and retry.
            for step in 0..<lockstep {
                for (process, command) in [(a, commands.a[step]), (b, commands.b[step])] {
                    try process.write([command.line])
                    record(process.nextResult(timeout: patienceSeconds))
                }
            }
            // Then both race through the rest as fast as they can.
            try a.write(commands.a[lockstep...].map(\.line))
            try b.write(commands.b[lockstep...].map(\.line))
            for process in [a, b] {
                for _ in 0..<racing { record(process.nextResult(timeout: patienceSeconds)) }
            }
            return (results, [a.finish(timeout: patienceSeconds), b.finish(timeout: patienceSeconds)], a.stderr + b.stderr)
        }
        #expect(outcome.statuses == [0, 0], "a4ps batch did not exit cleanly: \(outcome.stderr)")

        let image = try await Image.open(at: path, create: false)
        defer { image.close() }
        let brick = try #require(image.memory.proto(named: "BRICK"))
        var acknowledged: [Int64] = []
        for command in commands.a + commands.b {
            guard let result = outcome.results[command.id] else {
                Issue.record("no result for \(command.id): \(outcome.stderr)")
                continue
            }
            let applied = if let slot = command.slot { brick.slots[slot] == command.value }
                          else { brick.methods[command.selector!]?.source == command.source }
            if result["ok"] == true {
                #expect(applied, "\(command.id) was acknowledged but is not in the image")
                if case .integer(let change)? = result["change"] { acknowledged.append(change) }
                else { Issue.record("\(command.id) was acknowledged without a change: \(result.jsonText)") }
            } else {
                // A change that gave up must say so, and must not be in the image.
                #expect(result["error"]?.stringValue?.contains("changed by another process") == true, "\(result.jsonText)")
                #expect(!applied, "\(command.id) failed but is in the image")
            }
        }
        let lockstepIDs = (commands.a.prefix(lockstep) + commands.b.prefix(lockstep)).map(\.id)
        #expect(lockstepIDs.allSatisfy { outcome.results[$0]?["ok"] == true }, "a change made in lockstep did not survive its retry")
        // The change log: one entry per acknowledged change, each its own, and BRICK is exactly
        // what its log says.
        let changes = try image.history(proto: "BRICK", limit: 1_000_000)
        #expect(Set(acknowledged).count == acknowledged.count, "two acknowledgements name the same change")
        #expect(Set(acknowledged).isSubset(of: Set(changes.map(\.id))))
        #expect(Int64(changes.count) == brick.version)
        let last = try #require(changes.last)
        let rebuilt = try #require(try image.memory.store.state(of: "BRICK", afterChange: last.id))
        #expect(rebuilt.slots == brick.slots)
        #expect(rebuilt.methods.mapValues(\.source) == brick.methods.mapValues(\.source))
    }
}

/// How long a step of a cross-process test may take before the test fails instead of hanging:
/// generous, never a guess at the machine's speed.
private let patienceSeconds: TimeInterval = 60

/// A running `a4ps batch`: JSON commands in, one JSON result per line out. Its methods block, so
/// call them from a thread of its own (``CLIProcess/offload(_:)``).
final class BatchProcess: @unchecked Sendable {
    private let process = ChildProcess()
    private let input = Pipe(), output = Pipe(), errors = Pipe()
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var lines: [String] = []
    private var ended = false
    private var errorText = Data()

    init(path: String, in directory: URL, environment: [String: String]) throws {
        process.executableURL = CLIProcess.executable
        process.arguments = ["batch", "--image", path]
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading, err = errors.fileHandleForReading
        Thread { [self] in
            var buffer = Data()
            while case let chunk = out.availableData, !chunk.isEmpty {
                buffer.append(chunk)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                    buffer.removeSubrange(buffer.startIndex...newline)
                    condition.withLock { lines.append(line); condition.broadcast() }
                }
            }
            condition.withLock { ended = true; condition.broadcast() }
        }.start()
        Thread { [self] in
            while case let chunk = err.availableData, !chunk.isEmpty { condition.withLock { errorText.append(chunk) } }
        }.start()
    }

    /// Writes commands, one per line.
    func write(_ commands: [JSONValue]) throws {
        let text = commands.map { $0.jsonText + "\n" }.joined()
        try input.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }

    /// The next result, or nil when the output ends or `timeout` seconds pass first.
    func nextResult(timeout: TimeInterval) -> JSONValue? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        let line: String? = condition.withLock {
            while lines.isEmpty && !ended {
                if !condition.wait(until: deadline) { break }
            }
            return lines.isEmpty ? nil : lines.removeFirst()
        }
        return line.flatMap { try? JSONValue(parsing: $0) }
    }

    /// What it wrote to standard error so far.
    var stderr: String { condition.withLock { String(decoding: errorText, as: UTF8.self) } }

    /// Ends its input and waits for it to exit; kills it when `timeout` seconds pass first (nil).
    func finish(timeout: TimeInterval) -> Int32? {
        try? input.fileHandleForWriting.close()
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        guard !process.isRunning else {
            kill()
            return nil
        }
        return process.terminationStatus
    }

    /// Kills it if it still runs (a failed test leaves no process behind).
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }
}
