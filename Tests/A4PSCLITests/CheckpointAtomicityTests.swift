import Foundation
import TestWaiting
import GRDB
import LivingImage
import Testing

/// A deliberation killed with SIGKILL at random moments (half the time the instant a node's
/// commit shows in the file) never leaves a node's slot writes without its checkpoint, nor a
/// checkpoint without them; resuming never applies a node's writes twice.
@Suite struct CheckpointAtomicityTests {
    /// Each node counts itself in `ticks` and its router in `routed`; the run ends at `goal`.
    static let tick = "self:set('ticks', (self:get('ticks') or 0) + 1) return {n = (args.n or 0) + 1}"
    static let again = """
        self:set('routed', (self:get('routed') or 0) + 1)
        local goal = self:get('goal')
        if goal and args.n >= goal then return 'END' end
        return 'tick'
        """

    @Test func aNodesWritesArePresentIffItsCheckpointIs() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("a4ps.image").path
        let env = ["OLLAMA_HOST": "127.0.0.1:1", "A4PS_CONFIG": dir.appendingPathComponent("none.toml").path, "A4PS_IMAGE": path]
        let image = try await Image.open(at: path)
        try await image.setSlot("ticker", of: "BRICK", to: [
            "entry": "tick", "nodes": ["tick": ["proto": "BRICK", "selector": "tick"]],
            "edges": ["tick": ["proto": "BRICK", "selector": "again"]], "max_steps": 1_000_000,
        ])
        try await image.defineMethod("tick", on: "BRICK", source: Self.tick)
        try await image.defineMethod("again", on: "BRICK", source: Self.again)
        image.close()
        var config = Configuration()
        config.busyMode = .timeout(10)
        let file = try DatabaseQueue(path: path, configuration: config)
        defer { try? file.close() }

        var runID: String?
        let rounds = 40
        for round in 0..<rounds {
            let arguments = runID.map { ["runs", "resume", $0] } ?? ["runs", "start", "BRICK.ticker"]
            let before = try Self.observe(file)
            let (steps, atCommit) = (Int.random(in: 1...4), round.isMultiple(of: 2))
            let delay = atCommit ? 0 : Int.random(in: 0...25)
            let exited = try await CLIProcess.offload {
                try Self.runAndKill(arguments, in: dir, environment: env, file: file,
                                    after: { $0.ticks >= before.ticks + steps }, thenMilliseconds: delay)
            }
            let after = try Self.observe(file)
            #expect(exited == nil, "round \(round): the run ended before it was killed (status \(exited ?? 0))")
            #expect(after.step > before.step, "round \(round): the run did not advance")
            Self.expectAgreement(after, "round \(round)")
            runID = after.run
        }

        // Resumed to the end, every node's writes were applied exactly once.
        let id = try #require(runID)
        let last = try Self.observe(file)
        let goal = last.step + 3
        let set = try await CLIProcess.run(["slot", "set", "BRICK", "goal", "\(goal)"], in: dir, environment: env)
        #expect(set.status == 0, "\(set.stderr)")
        let resumed = try await CLIProcess.run(["runs", "resume", id], in: dir, environment: env)
        #expect(resumed.stdout.contains("\(id)  done  step \(goal)"), "\(resumed.stdout)\(resumed.stderr)")
        let done = try Self.observe(file)
        #expect(done.step == goal)
        Self.expectAgreement(done, "after the last resume")
    }

    /// What the file holds: the counters the nodes and routers wrote, and the run's checkpoints.
    struct Observation: Sendable {
        var run: String?
        var ticks = 0
        var routed = 0
        var step = 0
        var checkpointedNodes = 0
        var lastN = 0
    }

    static func observe(_ file: DatabaseQueue) throws -> Observation {
        try file.read { db in
            func counter(_ name: String) throws -> Int {
                try String.fetchOne(db, sql: "SELECT value FROM slots WHERE proto = 'BRICK' AND name = ?", arguments: [name])
                    .flatMap { Int($0) } ?? 0
            }
            var seen = Observation(ticks: try counter("ticks"), routed: try counter("routed"))
            // Asked of the file itself: this connection's schema cache does not see the other process create the table.
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM sqlite_master WHERE name = 'deliberation_runs'") == true,
                  let run = try Row.fetchOne(db, sql: "SELECT id, step FROM deliberation_runs") else { return seen }
            seen.run = run["id"]
            seen.step = run["step"]
            seen.checkpointedNodes = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM deliberation_checkpoints WHERE run = ? AND node IS NOT NULL", arguments: [seen.run]) ?? 0
            let state = try String.fetchOne(
                db, sql: "SELECT state FROM deliberation_checkpoints WHERE run = ? ORDER BY step DESC LIMIT 1", arguments: [seen.run])
            seen.lastN = try state.map { try JSONValue(parsing: $0)["n"]?.intValue ?? 0 } ?? 0
            return seen
        }
    }

    /// A node's writes are in the file exactly when its checkpoint is.
    static func expectAgreement(_ seen: Observation, _ when: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(seen.ticks == seen.checkpointedNodes && seen.routed == seen.checkpointedNodes,
                "\(when): \(seen.ticks) ticks and \(seen.routed) routings, but \(seen.checkpointedNodes) checkpointed nodes",
                sourceLocation: sourceLocation)
        #expect(seen.step == seen.checkpointedNodes && seen.lastN == seen.step,
                "\(when): the run is at step \(seen.step), its last state says n = \(seen.lastN)", sourceLocation: sourceLocation)
    }

    /// Runs `a4ps ARGS` until the file shows `ready`, waits `delay` ms more, and kills it with
    /// SIGKILL; answers its exit status when it ended by itself first (nil when killed).
    static func runAndKill(_ arguments: [String], in dir: URL, environment: [String: String], file: DatabaseQueue,
                           after ready: (Observation) -> Bool, thenMilliseconds delay: Int) throws -> Int32? {
        let process = ChildProcess()
        process.executableURL = CLIProcess.executable
        process.arguments = arguments
        process.currentDirectoryURL = dir
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Date() < deadline, !ready(try observe(file)) {
            Thread.sleep(forTimeInterval: 0.001)
        }
        if delay > 0 { Thread.sleep(forTimeInterval: Double(delay) / 1000) }
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return nil
    }
}
