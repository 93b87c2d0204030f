import A4PS
import Foundation
import Inference
import LivingImage
import TestWaiting
import Testing

/// a4ps killed with SIGKILL in the middle of a fine-tune: the job is not forgotten — the next
/// a4ps finds it, stops the orphaned trainer, and queues it to start again; `a4ps finetune run`
/// starts it again (its second and last attempt).
@Suite struct FinetuneCrashTests {
    @Test func aJobWhoseA4PSWasKilledIsFoundAgainAndRunsAgain() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-ftcrash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // First attempt: reports a step, notes its pid, and trains "forever"; second: fails at once.
        let trainer = dir.appendingPathComponent("trainer.sh").path
        try """
            #!/bin/sh
            marker="\(dir.path)/attempted"
            if [ -f "$marker" ]; then echo '{"event":"error","message":"second attempt stops here"}'; exit 1; fi
            touch "$marker"
            echo $$ > "\(dir.path)/trainer.pid"
            echo '{"event":"started"}'
            echo '{"event":"progress","step":1,"max_steps":100,"loss":2.0}'
            sleep 300
            """.write(toFile: trainer, atomically: true, encoding: .utf8)
        chmod(trainer, 0o755)
        let config = "[inference]\ndefault_backend = \"ollama\"\n[strategic]\ntrainer = \"\(trainer)\"\n"
        try config.write(to: dir.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
        let env = ["OLLAMA_HOST": "127.0.0.1:1", "A4PS_CONFIG": dir.appendingPathComponent("config.toml").path]
        let imagePath = dir.appendingPathComponent("a4ps.image").path

        // Golden examples for BRICK.
        var settings = try A4PSConfig.load(path: env["A4PS_CONFIG"]!, environment: env)
        settings.inference.connectTimeoutSeconds = 1
        let runtime = try await Runtime.open(imagePath: imagePath, config: settings)
        var history: [JSONValue] = []
        for i in 0..<3 { history += [["role": "user", "content": .string("Q\(i)?")], ["role": "assistant", "content": .string("A\(i).")]] }
        try runtime.golden.harvest(run: "run-seed", state: ["brick_history": .array(history)], overall: 5)
        await runtime.shutdown()

        let process = ChildProcess()
        process.executableURL = CLIProcess.executable
        process.arguments = ["finetune", "BRICK", "--image", imagePath]
        process.currentDirectoryURL = dir
        process.environment = ProcessInfo.processInfo.environment.merging(env) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pidFile = dir.appendingPathComponent("trainer.pid").path
        await waitUntil("the job trains (step 1)") {
            let list = try? await CLIProcess.run(["finetune", "list", "--image", imagePath], in: dir, environment: env)
            return list?.stdout.contains("running (training 1/100)") == true && FileManager.default.fileExists(atPath: pidFile)
        }
        kill(process.processIdentifier, SIGKILL)
        try await CLIProcess.offload { process.waitUntilExit() }
        let trainerPID = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))

        // The next a4ps finds it: the orphaned trainer is stopped, the job queued again.
        let listed = try await CLIProcess.run(["finetune", "list", "--image", imagePath], in: dir, environment: env)
        #expect(listed.stdout.contains("queued") && listed.stdout.contains("its worker stopped during attempt 1"), "\(listed.stdout)")
        await waitUntil("the orphaned trainer is stopped") { kill(trainerPID, 0) != 0 }

        // And it runs again: its second attempt (which this trainer fails) ends it for good.
        let ran = try await CLIProcess.run(["finetune", "run", "--image", imagePath], in: dir, environment: env)
        #expect(ran.stdout.contains("failed"), "\(ran.stdout) \(ran.stderr)")
        let shown = try await CLIProcess.run(["finetune", "show", "1", "--image", imagePath], in: dir, environment: env)
        let job = try JSONValue(parsing: shown.stdout)
        #expect(job["status"]?.stringValue == "failed" && job["attempts"]?.intValue == 2)
        #expect(job["reason"]?.stringValue?.contains("second attempt stops here") == true, "\(shown.stdout)")
    }
}
