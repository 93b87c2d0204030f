import A4PS
import Foundation
import LivingImage
import ScriptedModelServer
import Testing

/// `a4ps ascend` and `a4ps proposals` for an ascension, as real processes against a scripted Ollama:
/// the Architect lists BRICK's candidates, has BABS evaluate one (pulled, evaluated blind on a
/// clone, proposed), finds the proposal in the one list beside codex amendments, approves it, and
/// sees the swap by the author `ascension` in the change log; a candidate that does not exist ends
/// with the reason and a failing exit status.
@Suite struct AscendCLITests {
    static let script = Script(models: Script.personaModels + [Script.Model(name: "qwen2.5:7b", sizeGB: 4.7, pulled: false)], rules: [
        .init(model: "qwen2.5:7b", reply: "NEW MIND answer."),
        .init(contains: "It answered:\nNEW MIND", json: JSONText(#"{"score": 5, "reason": "clear"}"#)),
        .init(contains: "It answered:\n", json: JSONText(#"{"score": 3, "reason": "adequate"}"#)),
    ], defaultReply: "OLD MIND answer.")

    @Test func theArchitectEvaluatesACandidateAndApprovesTheAscension() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-ascend-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = ScriptedModelServer(script: Self.script)
        let url = try await server.start()
        do {
            try await evaluateAndApprove(in: dir, ollama: url)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    func evaluateAndApprove(in dir: URL, ollama url: String) async throws {
        let config = dir.appendingPathComponent("ascend.toml")
        try """
            [inference]
            default_backend = "ollama"
            [ascension]
            candidates = [{name = "qwen2.5:7b", size_gb = 4.7}]
            validation_prompts = 1
            adapter_examples = 0
            recurate_limit = 0
            """.write(to: config, atomically: true, encoding: .utf8)
        let env = ["OLLAMA_HOST": url, "A4PS_CONFIG": config.path]
        func a4ps(_ args: String..., expect status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
            let result = try await CLIProcess.run(args, in: dir, environment: env)
            #expect(result.status == status, "a4ps \(args.joined(separator: " ")): \(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
            return result.stdout + result.stderr
        }

        try await a4ps("image", "init")
        let image = try await Image.open(at: dir.appendingPathComponent("a4ps.image").path, create: false)
        try GoldenDataset(image: image).harvest(run: "r1", state: ["brick_history": [
            ["role": "user", "content": "Why survey first?"], ["role": "assistant", "content": "Evidence first."]]], overall: 5)
        image.close()

        let candidates = try await a4ps("ascend", "candidates", "BRICK")
        #expect(candidates.contains("* phi3:mini-4k-instruct  present"), "\(candidates)")
        #expect(candidates.contains("qwen2.5:7b  pullable  4.70 GB (declared in config.toml)"), "\(candidates)")

        let evaluated = try await a4ps("ascend", "evaluate", "BRICK", "qwen2.5:7b")
        for line in ["BABS evaluates qwen2.5:7b for BRICK", "pulling qwen2.5:7b", "evaluated: new mean 5.00 vs old 3.00",
                     "characterological dissonance", "proposed: ascension proposal 1", "`a4ps proposals approve 1`"] {
            #expect(evaluated.contains(line), "missing \(line) in \(evaluated)")
        }
        #expect(try await a4ps("proposals", "list").contains("1  BRICK  pending  by BABS (ascension 1)  ascend phi3:mini-4k-instruct → qwen2.5:7b"))
        let shown = try JSONValue(parsing: try await a4ps("proposals", "show", "1"))
        #expect(shown["kind"] == "ascension" && shown["evaluation"]?["new_mean"]?.doubleValue == 5)

        let approved = try await a4ps("proposals", "approve", "1", "--note", "agreed")
        #expect(approved.contains("approved ascension proposal 1: BRICK now thinks with qwen2.5:7b"), "\(approved)")
        #expect(approved.contains("fine-tune job 1 queued"), "\(approved)")
        let history = try JSONValue(parsing: try await a4ps("image", "history", "BRICK", "--json"))
        let swap = try #require(history.arrayValue?.last)
        #expect(swap["author"] == "ascension" && swap["reason"]?.stringValue?.contains("ascension proposal 1 approved by the Architect") == true)
        #expect(try await a4ps("proposals", "approve", "1", expect: 1).contains("already approved"))

        let failed = try await a4ps("ascend", "evaluate", "BRICK", "no-such:1b", expect: 1)
        #expect(failed.contains("failed") && failed.contains("does not exist"), "\(failed)")
        #expect(try await a4ps("ascend", "list").contains("2  BRICK  qwen2.5:7b → no-such:1b  failed"))
    }
}
