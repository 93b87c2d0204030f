@testable import A4PS
import Foundation
import Inference
import LivingImage
import Testing

/// The strategic loop for real, on the CPU (part of the serialized real-model suite): golden
/// examples → the CPU LoRA trainer runs a few real steps of SmolLM2-135M → a GGUF adapter →
/// registered in the running llama-server → BRICK's old and new minds answer, ALFRED's Oracle
/// judges them blind → swapped or discarded as the scores say → a swapped mind answers through the
/// adapter (the server says so) and a rollback restores the old binding. Either decision passes;
/// it must follow the scores.
extension RealModelTests {
    @Test func theStrategicLoopTrainsValidatesAndSwapsForReal() async throws {
        try await withEmbeddedRuntime(configure: { config in
            config.strategic.maxSteps = 2
            config.strategic.loraRank = 4
            config.strategic.loraAlpha = 8
            config.strategic.batchSize = 2
            config.strategic.maxSequenceLength = 128
            config.strategic.validationPrompts = 1
            config.strategic.minGain = 0
        }) { runtime in
            defer { try? FileManager.default.removeItem(atPath: runtime.finetune.jobsDirectory) }
            let command = TrainerCommand.configured(runtime.config.strategic)
            try #require(command.missing == nil, "\(command.missing ?? ""): run Scripts/install-trainer")
            let questions = ["Why survey a river before building a bridge?", "How should volunteers update the clinic list?",
                             "What is the first step of an onboarding protocol?", "Why keep a change log?"]
            var history: [JSONValue] = []
            for question in questions {
                history += [["role": "user", "content": .string(question)],
                            ["role": "assistant", "content": .string("Systematically: \(question.lowercased().dropLast()) needs evidence first.")]]
            }
            try runtime.golden.harvest(run: "run-real", state: ["brick_history": .array(history)], overall: 5)

            let started = ContinuousClock.now
            let job = try runtime.finetune.enqueue(persona: "BRICK")
            let ended = try await runtime.finetune.run(job.id)
            let wall = ContinuousClock.now - started
            #expect(ended.status == .succeeded, "\(ended.reason ?? "")")
            let validation = try #require(ended.provenance["validation"])
            let (old, new) = (try #require(validation["old_mean"]?.doubleValue), try #require(validation["new_mean"]?.doubleValue))
            #expect(validation["old"]?.arrayValue?.count == validation["prompts"]?.intValue)
            #expect(validation["new"]?.arrayValue?.count == validation["prompts"]?.intValue)
            #expect(ended.decision == (new >= old ? .swapped : .discarded), "old \(old), new \(new), decided \(String(describing: ended.decision))")
            let server = try #require(runtime.models.embeddedServer)
            let backend = try #require(runtime.models.backend(for: "brick") as? EmbeddedBackend)
            print("""
                strategic loop on CPU: \(wall) from trigger to \(ended.decision?.rawValue ?? "?"); \
                training \(ended.provenance["training"]?["timings"]?.jsonText ?? "?"); \
                registration \(ended.provenance["registration"]?["seconds"]?.doubleValue ?? -1) s; \
                validation \(validation["seconds"]?.doubleValue ?? -1) s (old mean \(old), new mean \(new))
                """)

            if ended.decision == .swapped {
                #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"]?.stringValue == ended.adapterName)
                // BRICK's next thought is answered by the adapter's own model process.
                try await runtime.image.defineMethod("ponder", on: "BRICK", source: "return think(args.prompt, {max_tokens = 16})")
                let answer = try await runtime.image.send("BRICK", "ponder", ["prompt": "Why check a map before a trip?"])
                #expect(answer.stringValue?.isEmpty == false)
                #expect(try await backend.listModels().contains { $0.name == ended.adapterName })
                #expect(server.adapters[ended.adapterName] != nil)
                // The rollback restores the old binding.
                let back = try #require(ended.provenance["rollback_to"]?.intValue)
                try await runtime.image.rollback("BRICK", toChange: Int64(back), reason: "the old mind")
                #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
            } else {
                #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
                #expect(!server.servesAdapter(ended.adapterName))
            }
        }
    }
}
