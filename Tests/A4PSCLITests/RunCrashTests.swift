import Foundation
import TestWaiting
import LivingImage
import Testing

/// A deliberation run killed with SIGKILL in the middle resumes from its last checkpoint and
/// does not redo the nodes it had finished.
@Suite struct RunCrashTests {
    @Test func aKilledRunResumesFromItsLastCheckpoint() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-runcrash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["OLLAMA_HOST": "127.0.0.1:1", "A4PS_CONFIG": dir.appendingPathComponent("none.toml").path]
        func a4ps(_ args: String..., expect status: Int32 = 0) async throws -> String {
            let r = try await CLIProcess.run(args, in: dir, environment: env)
            #expect(r.status == status, "a4ps \(args.joined(separator: " ")): \(r.stderr)")
            return r.stdout
        }
        let graph: JSONValue = [
            "entry": "one",
            "nodes": ["one": ["proto": "BRICK", "selector": "one"], "two": ["proto": "BRICK", "selector": "two"]],
            "edges": ["one": "two", "two": "END"],
        ]
        _ = try await a4ps("slot", "set", "Persona", "kgraph", graph.jsonText)
        _ = try await a4ps("method", "define", "BRICK", "one", "--source", "self:set('visits_one', (self:get('visits_one') or 0) + 1) return {a = 1}")
        _ = try await a4ps("method", "define", "BRICK", "two", "--source", "if self:get('slow') then sleep(60) end return {b = 2}")
        _ = try await a4ps("slot", "set", "BRICK", "slow", "true")

        let process = ChildProcess()
        process.executableURL = CLIProcess.executable
        process.arguments = ["runs", "start", "Persona.kgraph", "--state", #"{"task": "survive"}"#]
        process.currentDirectoryURL = dir
        process.environment = ProcessInfo.processInfo.environment.merging(env) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()

        // Wait until node one is checkpointed (the run then sleeps inside node two), then kill it.
        var runID: String?
        let deadline = ContinuousClock.now + .seconds(120)
        while runID == nil, ContinuousClock.now < deadline, process.isRunning {
            let list = try await a4ps("runs", "list")
            if let line = list.split(separator: "\n").first, line.contains("step 1, next two") {
                runID = String(line.split(separator: " ")[0])
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        // While that process lives, it holds the run's lease: another process may not advance it.
        if let id = runID {
            let refused = try await CLIProcess.run(["runs", "resume", id], in: dir, environment: env)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("being advanced by another process"), "\(refused.stderr)")
        }
        kill(process.processIdentifier, SIGKILL)
        try await CLIProcess.offload { process.waitUntilExit() }
        let id = try #require(runID, "the run never reached its first checkpoint")
        #expect(try await a4ps("runs", "list").contains("\(id)  running  step 1"))

        // The killer's lease dies with it: the run resumes at once, without waiting for the lease to expire.
        _ = try await a4ps("slot", "set", "BRICK", "slow", "false")
        #expect(try await a4ps("runs", "resume", id).contains("\(id)  done  step 2"))
        #expect(try await a4ps("slot", "get", "BRICK", "visits_one").trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        let history = try JSONValue(parsing: try await a4ps("runs", "history", id, "--json"))
        #expect(history.arrayValue?.last?["state"] == ["task": "survive", "a": 1, "b": 2])
    }
}
