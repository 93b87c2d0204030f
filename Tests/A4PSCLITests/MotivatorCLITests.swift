import Foundation
import LivingImage
import ScriptedModelServer
import TestWaiting
import Testing

/// The motivator across processes: `a4ps ask` (the Architect) queues a goal from the dissonance it
/// observed; `a4ps goals run-next` pursues it, is killed mid-way, and a restart resumes the same run.
@Suite struct MotivatorCLITests {
    static let thoughts = #"{"thoughts": [{"text": "cache the image in memory"}, {"text": "log every change"}, {"text": "measure first"}]}"#
    static let verdict = #"{"scores": [{"viability": 0, "alignment": 9}, {"viability": 2, "alignment": 5}, {"viability": 3, "alignment": 5}], "answer": "no: people matter more than speed", "agree": false}"#
    static let oracle = #"{"logical_rigor": {"score": 4, "reason": "sound"}, "creative_synthesis": {"score": 5, "reason": "kind"}, "dissonance_resolution": {"score": 1, "reason": "no"}, "task_efficacy": {"score": 4, "reason": "ok"}}"#
    /// BRICK and ROBIN disagree; ROBIN's first answer in a follow-up deliberation hangs (the process is killed there).
    static let script = Script(rules: [
        .init(model: "llama3.1:8b-instruct", contains: "Resolve the dissonance", json: JSONText(verdict),
              fault: .init(kind: .slowStart, times: 1, delayMilliseconds: 300_000)),
        .init(model: "phi3:mini-4k-instruct", contains: "Propose three", json: JSONText(thoughts)),
        .init(model: "llama3.1:8b-instruct", contains: "Evaluate each", json: JSONText(verdict)),
        .init(model: "gemma2:9b-instruct", contains: "As the Oracle", json: JSONText(oracle)),
        .init(model: "gemma2:9b-instruct", contains: "Synthesize", reply: "Cache the image in memory and log every change."),
    ])

    @Test func aGoalKilledMidRunResumesTheSameRunAfterARestart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-motivator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = ScriptedModelServer(script: Self.script)
        let url = try await server.start()
        do {
            try await killAndRestart(in: dir, env: ["OLLAMA_HOST": url, "A4PS_CONFIG": dir.appendingPathComponent("none.toml").path])
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    func killAndRestart(in dir: URL, env: [String: String]) async throws {
        func a4ps(_ args: String..., expect status: Int32 = 0) async throws -> String {
            let r = try await CLIProcess.run(args, in: dir, environment: env)
            #expect(r.status == status, "a4ps \(args.joined(separator: " ")): \(r.stderr)")
            return r.stdout
        }
        _ = try await a4ps("ask", "Should we drop the change log to go faster?", "--max-turns", "1")
        #expect(try await a4ps("goals", "list").contains("1  queued  deliberation  p5  Resolve the dissonance between BRICK and ROBIN"))

        let process = ChildProcess()
        process.executableURL = CLIProcess.executable
        process.arguments = ["goals", "run-next"]
        process.currentDirectoryURL = dir
        process.environment = ProcessInfo.processInfo.environment.merging(env) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The goal's run reaches ROBIN's evaluation (which hangs), then the process is killed.
        var run: String?
        try await waitUntil("the goal's run waits in ROBIN's evaluation") {
            guard process.isRunning, let id = try JSONValue(parsing: try await a4ps("goals", "show", "1"))["run"]?.stringValue else { return false }
            run = id
            return try await a4ps("runs", "list").contains("\(id)  running  step 3, next evaluate")
        }
        kill(process.processIdentifier, SIGKILL)
        try await CLIProcess.offload { process.waitUntilExit() }
        let id = try #require(run)
        #expect(try await a4ps("goals", "list").contains("1  running  deliberation"))

        // A new motivator finds the goal's motivator dead, queues it again and resumes the same run.
        let resumed = try await a4ps("goals", "run-next")
        #expect(resumed.contains("1  done  deliberation"), "\(resumed)")
        let goal = try JSONValue(parsing: try await a4ps("goals", "show", "1"))
        #expect(goal["run"] == .string(id) && goal["attempts"] == 2 && goal["outcome"]?["run"] == .string(id))
        let history = try await a4ps("runs", "history", id)
        for node in ["receive", "research"] {
            #expect(history.components(separatedBy: "  \(node)").count == 2, "\(node) ran once:\n\(history)")
        }
        #expect(try await a4ps("goals", "run-next").contains("no goal may run now"))
    }
}
