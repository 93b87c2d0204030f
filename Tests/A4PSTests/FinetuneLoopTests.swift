@testable import A4PS
import Foundation
import Inference
import LivingImage
import ScriptedModelServer
import Testing

/// The whole strategic loop against the scripted Ollama server, with a fake trainer that writes an
/// adapter: registered under a versioned name, validated blind by ALFRED>>judge, swapped in by a
/// compare-and-swap of BRICK's binding (author strategic) when it scores better — BRICK's next
/// thought goes to the adapter, and a rollback restores the old binding — and discarded
/// (unregistered, BRICK unchanged) when it scores worse.
@Suite struct FinetuneLoopTests {
    static let trainer = """
        out="$(dirname "$1")"
        mkdir -p "$out/peft"
        printf 'GGUF\\003\\000\\000\\000fake adapter' > "$out/adapter.gguf"
        echo '{"r": 4}' > "$out/peft/adapter_config.json"
        echo '{"event":"started","trainer":"fake"}'
        echo '{"event":"progress","step":1,"max_steps":2,"loss":2.0}'
        echo '{"event":"progress","step":2,"max_steps":2,"loss":1.0}'
        echo "{\\"event\\":\\"done\\",\\"adapter_gguf\\":\\"$out/adapter.gguf\\",\\"peft_dir\\":\\"$out/peft\\",\\"steps\\":2,\\"examples\\":4,\\"timings\\":{\\"train_s\\":0.5}}"
        """

    /// BRICK's base model answers "OLD MIND"; the first adapter "NEW MIND", the second "WORSE MIND";
    /// ALFRED judges NEW MIND 5, WORSE MIND 1 and anything else 3.
    static let script = Script(rules: [
        .init(model: "brick-golden-1", reply: "NEW MIND answer."),
        .init(model: "brick-golden-2", reply: "WORSE MIND answer."),
        .init(contains: "It answered:\nNEW MIND", json: JSONText(#"{"score": 5, "reason": "clear and correct"}"#)),
        .init(contains: "It answered:\nWORSE MIND", json: JSONText(#"{"score": 1, "reason": "off the point"}"#)),
        .init(contains: "It answered:\n", json: JSONText(#"{"score": 3, "reason": "adequate"}"#)),
    ], defaultReply: "OLD MIND answer.")

    @Test func aBetterMindIsSwappedInAndRolledBackAWorseOneDiscarded() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-ftloop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try FinetuneJobTests.fakeTrainer(Self.trainer, in: dir)
        try await withRuntime(Self.script, configure: { $0.strategic.trainer = trainer; $0.strategic.validationPrompts = 2 }) { runtime, server in
            defer { try? FileManager.default.removeItem(atPath: runtime.finetune.jobsDirectory) }
            try FinetuneJobTests.seedGolden(runtime)
            let events = runtime.image.events.subscribe()
            let before = try #require(runtime.image.memory.proto(named: "BRICK"))
            #expect(before.slots["model"] == nil)

            // A better mind: registered, validated, swapped in.
            let job = try runtime.finetune.enqueue(persona: "BRICK")
            let ended = try await runtime.finetune.run(job.id)
            #expect(ended.status == .succeeded && ended.decision == .swapped, "\(ended.reason ?? "")")
            let validation = try #require(ended.provenance["validation"])
            #expect(validation["old_mean"]?.doubleValue == 3 && validation["new_mean"]?.doubleValue == 5)
            #expect(validation["prompts"]?.intValue == 2 && validation["order"]?.arrayValue?.count == 4)
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == "brick-golden-1")
            let change = try #require(try runtime.image.history(proto: "BRICK", limit: 1).last)
            #expect(change.author == .strategic && change.reason.contains("\"dataset_digest\""))
            #expect(ended.provenance["change"]?.intValue == Int(change.id))
            let names = await readEvents(events, "the swap on the event bus") { eventName($0) == "strategic.swapped" }.compactMap(eventName)
            #expect(names.contains("strategic.job.registered"))
            // The adapter went to Ollama as a blob and a model created from BRICK's base.
            let requests = try await server.requests()
            let create = try #require(requests.first { $0.path == "/api/create" })
            let body = try JSONValue(parsing: create.body)
            #expect(body["model"]?.stringValue == "brick-golden-1" && body["from"]?.stringValue == runtime.models.model(for: "brick"))
            #expect(body["adapters"]?.objectValue?.isEmpty == false)
            #expect(try runtime.finetune.store.adapters().map(\.name) == ["brick-golden-1"])

            // BRICK's next thought goes to the adapter — no restart.
            try await runtime.image.defineMethod("ponder", on: "BRICK", source: "return think(args.prompt)")
            #expect(try await runtime.image.send("BRICK", "ponder", ["prompt": "Hello?"]).stringValue == "NEW MIND answer.")
            let lastChat = try #require(try await chatRequests(server).last)
            #expect(lastChat["model"]?.stringValue == "brick-golden-1")

            // A rollback restores the old binding; the adapter stays registered until pruned.
            let rollbackTo = try #require(ended.provenance["rollback_to"]?.intValue)
            try await runtime.image.rollback("BRICK", toChange: Int64(rollbackTo), reason: "back to the old mind")
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
            #expect(try runtime.finetune.store.adapters().map(\.name) == ["brick-golden-1"])

            // A worse mind: discarded, unregistered, BRICK unchanged.
            let second = try runtime.finetune.enqueue(persona: "BRICK")
            let discarded = try await runtime.finetune.run(second.id)
            #expect(discarded.status == .succeeded && discarded.decision == .discarded)
            #expect(discarded.reason?.contains("new mean 1.00 vs old 3.00") == true, "\(discarded.reason ?? "")")
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
            #expect(try await server.requests().contains { $0.path == "/api/delete" && $0.body.contains("brick-golden-2") })
            #expect(try runtime.finetune.store.adapters().map(\.name) == ["brick-golden-1"])
            try await runtime.finetune.prune("brick-golden-1")
            #expect(try runtime.finetune.store.adapters().isEmpty)
        }
    }
}
