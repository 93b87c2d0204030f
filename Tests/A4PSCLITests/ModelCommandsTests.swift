import Foundation
import LivingImage
import ScriptedModelServer
import Testing

/// `a4ps think`, `doctor`, `models pull` and `memory`, as real processes talking HTTP to a
/// scripted model server on loopback.
@Suite struct ModelCommandsTests {
    func withServer(_ script: Script = Script(), _ body: (URL, [String: String]) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-cli-models-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = ScriptedModelServer(script: script)
        let url = try await server.start()
        do {
            try await body(dir, ["OLLAMA_HOST": url, "A4PS_CONFIG": dir.appendingPathComponent("none.toml").path])
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func thinkStreamsThePersonasAnswer() async throws {
        let script = Script(rules: [.init(model: "gemma2:9b-instruct", contains: "purpose", reply: "To serve the Architect, concisely.")])
        try await withServer(script) { dir, env in
            let result = try await CLIProcess.run(["think", "ALFRED", "What is your purpose?"], in: dir, environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("To serve the Architect, concisely."))
            #expect(result.stderr.contains("gemma2:9b-instruct"))
        }
    }

    @Test func doctorSaysAllIsWellOrWhatToDo() async throws {
        try await withServer { dir, env in
            let healthy = try await CLIProcess.run(["doctor"], in: dir, environment: env)
            #expect(healthy.status == 0, "\(healthy.stdout)")
            #expect(healthy.stdout.contains("0.0.0-a4ps-scripted"))
            #expect(healthy.stdout.contains("phi3:mini-4k-instruct"))
            #expect(healthy.stdout.contains("✓ sandbox (bubblewrap): a test tool ran in"), "\(healthy.stdout)")
            // Ollama chosen in config.toml but down: a failed check that names the fix.
            let ollamaOnly = dir.appendingPathComponent("ollama.toml")
            try CLIProcess.ollamaOnlyConfig.write(to: ollamaOnly, atomically: true, encoding: .utf8)
            let down = try await CLIProcess.run(["doctor"], in: dir, environment: ["OLLAMA_HOST": "127.0.0.1:1", "A4PS_CONFIG": ollamaOnly.path])
            #expect(down.status == 1)
            #expect(down.stdout.contains("ollama serve"))
            // Nothing configured and no Ollama: a4ps says it thinks with the embedded model.
            let unconfigured = try await CLIProcess.run(["doctor"], in: dir, environment: ["OLLAMA_HOST": "127.0.0.1:1", "A4PS_CONFIG": env["A4PS_CONFIG"]!])
            #expect(unconfigured.stdout.contains("embedded SmolLM2-135M-Instruct"), "\(unconfigured.stdout)")
            #expect(unconfigured.stdout.contains("embedded model:"))
        }
    }

    @Test func forgePythonWritesASandboxedToolOrRefusesWithoutASandbox() async throws {
        let tool = (["code": "# BRICK>>shout: upper-cases text\ndef run(args):\n    return args[\"text\"].upper() + \"!\"",
                     "tests": "def test_shout():\n    assert run({\"text\": \"hi\"}) == \"HI!\""] as JSONValue).jsonText
        try await withServer(Script(rules: [.init(model: "phi3:mini-4k-instruct", replies: [tool])])) { dir, env in
            let forged = try await CLIProcess.run(["forge", "BRICK", "shout", "upper-cases text", "--python"], in: dir, environment: env)
            #expect(forged.status == 0, "\(forged.stdout)\(forged.stderr)")
            #expect(forged.stdout.contains("attempt 1: passed its tests and ALFRED's review"))
            // BRICK's answer streamed as he wrote it.
            #expect(forged.stdout.contains("— BRICK, attempt 1 —"), "\(forged.stdout)")
            #expect(forged.stdout.contains(".upper()"))
            let sent = try await CLIProcess.run(["send", "BRICK", "shout", "{\"text\": \"hello\"}"], in: dir, environment: env)
            #expect(sent.status == 0, "\(sent.stderr)")
            #expect(sent.stdout.contains("HELLO!"))

            let config = dir.appendingPathComponent("nosandbox.toml")
            try "[sandbox]\nexecutable = \"/nonexistent/bwrap\"\n".write(to: config, atomically: true, encoding: .utf8)
            var without = env
            without["A4PS_CONFIG"] = config.path
            let refused = try await CLIProcess.run(["forge", "BRICK", "whisper", "lower-cases text", "--python"], in: dir, environment: without)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("refuses to write Python tools"), "\(refused.stderr)")
            #expect(refused.stderr.contains("apt-get install bubblewrap"))
            let doctor = try await CLIProcess.run(["doctor"], in: dir, environment: without)
            #expect(doctor.stdout.contains("! sandbox: bubblewrap is not installed"), "\(doctor.stdout)")
        }
    }

    @Test func modelsPullShowsProgressPerModel() async throws {
        var models = Script.personaModels
        models[0].pulled = false
        try await withServer(Script(models: models)) { dir, env in
            let result = try await CLIProcess.run(["models", "pull"], in: dir, environment: env)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("100%"))
            #expect(result.stdout.contains("\(models[0].name)"))
            #expect(result.stdout.components(separatedBy: ": ready").count - 1 == 5)
        }
    }

    @Test func memoryAddIngestSearchStats() async throws {
        try await withServer { dir, env in
            func a4ps(_ args: String...) async throws -> String {
                let r = try await CLIProcess.run(args, in: dir, environment: env)
                #expect(r.status == 0, "a4ps \(args.joined(separator: " ")): \(r.stderr)")
                return r.stdout
            }
            #expect(try await a4ps("memory", "add", "The Architect drinks green tea at dawn.", "--persona", "ALFRED").contains("remembered #1"))
            let doc = dir.appendingPathComponent("notes.txt")
            try "Lua tables start at one.\n\nSQLite keeps the whole image in one file, with a change log.\n".write(to: doc, atomically: true, encoding: .utf8)
            #expect(try await a4ps("memory", "ingest", doc.path).contains("added"))
            let hits = try JSONValue(parsing: try await a4ps("memory", "search", "green tea", "--mode", "text", "--json"))
            #expect(hits.arrayValue?.first?["text"] == "The Architect drinks green tea at dawn.")
            let stats = try await a4ps("memory", "stats")
            #expect(stats.contains("nomic-embed-text"))
            #expect(try await a4ps("memory", "reindex").contains("index:"))
            let bad = dir.appendingPathComponent("bad.txt")
            try Data([0xFF, 0xFE, 0x00, 0x41]).write(to: bad)
            let refused = try await CLIProcess.run(["memory", "ingest", bad.path], in: dir, environment: env)
            #expect(refused.status != 0)
        }
    }

    @Test func askStreamsTheDeliberationAndEndsWithAlfredsAnswer() async throws {
        let script = Script(rules: [
            .init(model: "phi3:mini-4k-instruct", contains: "Propose three", json: JSONText(#"{"thoughts": [{"text": "measure first"}]}"#)),
            .init(model: "llama3.1:8b-instruct", contains: "Evaluate each",
                  json: JSONText(#"{"scores": [{"viability": 8, "alignment": 9}], "answer": "measure first, kindly", "agree": true}"#)),
            .init(model: "gemma2:9b-instruct", contains: "As the Oracle", json: JSONText(
                #"{"logical_rigor": {"score": 3, "reason": "thin"}, "creative_synthesis": {"score": 4, "reason": "kind"}, "#
                + #""dissonance_resolution": {"score": 5, "reason": "agreed"}, "task_efficacy": {"score": 4, "reason": "clear"}}"#)),
            .init(model: "gemma2:9b-instruct", contains: "Synthesize", reply: "Measure first."),
        ])
        try await withServer(script) { dir, env in
            let live = try await CLIProcess.run(["ask", "How do we make it fast?"], in: dir, environment: env)
            #expect(live.status == 0, "\(live.stderr)")
            for expected in ["BRICK: ", "ROBIN: ", "ALFRED: Measure first.", "loading gemma2:9b-instruct", "done  step 7",
                             "model calls", "Oracle 4.00 / 5", "logical_rigor: 3  thin"] {
                #expect(live.stdout.contains(expected), "missing \(expected) in \(live.stdout)")
            }
            let runID = try #require(live.stdout.split(separator: "\n").first { $0.hasPrefix("run-") }?.split(separator: " ").first.map(String.init))
            let rescored = try await CLIProcess.run(["oracle", "score", runID, "--json"], in: dir, environment: env)
            #expect(rescored.status == 0, "\(rescored.stderr)")
            #expect(try JSONValue(parsing: rescored.stdout)["overall"] == 4.0)
            let shown = try await CLIProcess.run(["runs", "show", runID], in: dir, environment: env)
            #expect(shown.stdout.components(separatedBy: "Oracle 4.00 / 5").count == 3, "two scorings: \(shown.stdout)")
            #expect(shown.stdout.contains("answer: Measure first."))
            let json = try await CLIProcess.run(["ask", "And then?", "--json"], in: dir, environment: env)
            let state = try JSONValue(parsing: json.stdout)
            #expect(state["answer"] == "Measure first.")
            #expect(state["task"] == "And then?")
        }
    }
}
