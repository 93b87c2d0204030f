import Foundation
import LivingImage
import ScriptedModelServer
import TestHTTP
import Testing

/// Codex amendments drafted by ALFRED and decided by the Architect, with real `a4ps` processes
/// on a real image: `a4ps codex propose PERSONA` (no diff) has ALFRED draft one with his model,
/// and the decision — from the CLI, or over `a4ps serve`'s API with the token — lets his run conclude.
@Suite struct CodexAmendmentCLITests {
    static let principle = "Name the people a plan affects before its speed."
    static let script = Script(rules: [
        .init(model: "gemma2:9b-instruct", contains: "As the guardian of the personas' codices",
              json: JSONText(#"{"persona": "BRICK", "principle": "\#(principle)", "reasoning": "The Architect saw BRICK ignore people."}"#)),
    ])

    func withScriptedModels(_ body: (URL, [String: String]) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-amendments-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = ScriptedModelServer(script: Self.script)
        let url = try await server.start()
        do {
            try await body(dir, ["OLLAMA_HOST": url, "A4PS_CONFIG": dir.appendingPathComponent("none.toml").path])
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func alfredDraftsWhenTheArchitectAsksAndTheApprovalConcludesHisRun() async throws {
        try await withScriptedModels { dir, env in
            func a4ps(_ args: String..., expect status: Int32 = 0) async throws -> String {
                let result = try await CLIProcess.run(args, in: dir, environment: env)
                #expect(result.status == status, "a4ps \(args.joined(separator: " ")): \(result.stderr)")
                return result.stdout + result.stderr
            }
            let drafted = try await a4ps("codex", "propose", "BRICK", "--reason", "BRICK ignores the people a plan affects")
            #expect(drafted.contains("ALFRED drafted codex proposal 1 of BRICK"), "\(drafted)")
            let shown = try JSONValue(parsing: try await a4ps("proposals", "show", "1"))
            #expect(shown["proposer"] == "alfred" && shown["status"] == "pending")
            #expect(shown["diff"]?["set"]?["principles"]?.arrayValue?.last == .string(Self.principle))
            #expect(shown["evidence"]?["concern"] == "BRICK ignores the people a plan affects")
            let run = try #require(shown["run"]?.stringValue)
            #expect(try await a4ps("runs", "show", run).contains("paused"))

            let approved = try await a4ps("proposals", "approve", "1", "--note", "yes")
            #expect(approved.contains("approved codex proposal 1") && approved.contains("ALFRED's run \(run) took note of the decision (done)"),
                    "\(approved)")
            let brick = try JSONValue(parsing: try await a4ps("inspect", "BRICK", "--json"))
            #expect(brick["codex"]?["principles"]?.arrayValue?.last == .string(Self.principle))
            // Without a model the same request fails clearly, and nothing is proposed.
            let ollamaOnly = dir.appendingPathComponent("ollama-only.toml")
            try CLIProcess.ollamaOnlyConfig.write(to: ollamaOnly, atomically: true, encoding: .utf8)
            let offline = try await CLIProcess.run(["codex", "propose", "ROBIN"], in: dir,
                                                   environment: ["OLLAMA_HOST": "127.0.0.1:1", "A4PS_CONFIG": ollamaOnly.path])
            #expect(offline.status != 0)
            #expect(offline.stderr.contains("ALFRED made no proposal") && offline.stderr.contains("ollama serve"), "\(offline.stderr)")
            #expect(try await a4ps("proposals", "list").components(separatedBy: "\n").filter { $0.contains("ROBIN") }.isEmpty)
        }
    }

    @Test func theArchitectDecidesOverTheAPIOnlyWithTheToken() async throws {
        try await withScriptedModels { dir, env in
            let image = dir.appendingPathComponent("served.image").path
            let drafted = try await CLIProcess.run(["codex", "propose", "BRICK", "--image", image], in: dir, environment: env)
            #expect(drafted.status == 0, "\(drafted.stderr)")
            let mine = try await CLIProcess.run(["codex", "propose", "ROBIN", "--image", image, "--set", #"motto="Kindly.""#], in: dir, environment: env)
            #expect(mine.status == 0, "\(mine.stderr)")
            let server = try ServeProcess(arguments: ["serve", "--image", image, "--port", "0"], in: dir, environment: env)
            defer { server.kill() }
            let port = try #require(await server.port(), "a4ps serve did not start: \(server.stderr)")
            let token = try String(contentsOfFile: image + ".token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let api = APIClient(base: "http://127.0.0.1:\(port)", token: token)

            #expect(try await api.call(.GET, "/proposals", token: .some(nil)).status == 401)
            #expect(try await api.call(.POST, "/proposals/1/approve", token: .some(nil)).status == 401)
            #expect(try await api.call(.POST, "/proposals/1/approve", token: .some("not-the-token")).status == 401)
            #expect(try await api.call(.PUT, "/protos/BRICK/slots/codex", body: #"{"role": "none"}"#, token: .some(nil)).status == 401)
            let listed = try await api.call(.GET, "/proposals?status=pending")
            #expect(listed.status == 200 && listed.json["proposals"]?.arrayValue?.count == 2)
            #expect(try await api.call(.GET, "/proposals/1").json["status"] == "pending", "a refused request decided nothing")

            let approved = try await api.call(.POST, "/proposals/1/approve", body: #"{"note": "via the API"}"#)
            #expect(approved.status == 200, "\(approved.json)")
            #expect(approved.json["proposal"]?["status"] == "approved" && approved.json["proposal"]?["note"] == "via the API")
            #expect(approved.json["run"]?["status"] == "done", "ALFRED's run concluded: \(approved.json)")
            let brick = try await api.call(.GET, "/protos/BRICK")
            #expect(brick.json["codex"]?["principles"]?.arrayValue?.last == .string(Self.principle))

            #expect(try await api.call(.POST, "/proposals/1/reject").status == 409)
            #expect(try await api.call(.POST, "/proposals/99/approve").status == 404)
            #expect(try await api.call(.POST, "/proposals/2/reject", body: "not json").status == 400)
            let rejected = try await api.call(.POST, "/proposals/2/reject", body: #"{"note": "no motto"}"#)
            #expect(rejected.status == 200 && rejected.json["proposal"]?["status"] == "rejected" && rejected.json["run"] == nil)
            let robin = try await api.call(.GET, "/protos/ROBIN")
            #expect(robin.json["codex"]?["motto"] == nil)
            kill(server.pid, SIGTERM)
            #expect(try await CLIProcess.offload { server.waitForExit(timeout: 60) } == 0)
        }
    }
}
