import A4PS
import Foundation
import Inference
import LivingImage

/// (d) The strategic loop on the CPU: a fine-tune job of BRICK from trigger to swap — training
/// (per step, per example), conversion, registration, validation — and the first token of BRICK
/// thinking with the swapped-in adapter.
extension MindBench {
    /// The `[strategic]` settings the benchmark trains with (stated in its output).
    static func strategicSettings(_ settings: inout StrategicSettings) {
        settings.maxSteps = 4
        settings.loraRank = 8
        settings.loraAlpha = 16
        settings.batchSize = 2
        settings.maxSequenceLength = 256
        settings.validationPrompts = 2
        settings.minGain = -4   // swap whatever the scores: the benchmark measures the whole loop to the swap
    }

    static func strategicLoop(_ runtime: Runtime) async throws {
        print("")
        print("(d) The strategic loop: a fine-tune of BRICK on 8 golden examples, 4 steps of batch 2, LoRA r 8, through to the swap")
        let command = TrainerCommand.configured(runtime.config.strategic)
        if let missing = command.missing {
            print("  skipped: \(missing)")
            return
        }
        let questions = ["Why survey a river before building a bridge?", "How should volunteers update the clinic list?",
                         "What is the first step of an onboarding protocol?", "Why keep a change log?", "How do you test a new tool?",
                         "What makes a plan robust?", "Why measure before optimizing?", "How should a food bank schedule be verified?"]
        var history: [JSONValue] = []
        for question in questions {
            history += [["role": "user", "content": .string(question)],
                        ["role": "assistant", "content": .string("Systematically: \(question.lowercased().dropLast()) needs evidence first.")]]
        }
        try runtime.golden.harvest(run: "bench", state: ["brick_history": .array(history)], overall: 5)
        let trigger = ContinuousClock.now
        let job = try runtime.finetune.enqueue(persona: "BRICK", trigger: "benchmark")
        let ended = try await runtime.finetune.run(job.id)
        let loop = ContinuousClock.now - trigger
        guard let brick = runtime.image.memory.proto(named: "BRICK") else { return }
        let binding = PersonaPrimitives.binding(for: brick, models: runtime.models)
        let asked = ContinuousClock.now
        var firstToken: Duration?
        for try await update in runtime.models.stream(binding, messages: [.user("Why check a map before a trip?")],
                                                      options: ThinkOptions(generation: GenerationOptions(temperature: 0, maxTokens: 16))) {
            if case .delta = update, firstToken == nil { firstToken = ContinuousClock.now - asked }
        }
        let timings = ended.provenance["training"]?["timings"]
        func timing(_ key: String) -> String { timings?[key]?.doubleValue.map { String(format: "%.2f", $0) } ?? "-" }
        let registration = ended.provenance["registration"]?["seconds"]?.doubleValue ?? 0
        let validation = ended.provenance["validation"]?["seconds"]?.doubleValue ?? 0
        InferenceTable.print([
            ["outcome", "trigger→end s", "import s", "train s", "per step s", "per example s", "convert s", "registration s", "validation s",
             "first token (bound) s"],
            ["\(ended.status.rawValue) \(ended.decision?.rawValue ?? "")", String(format: "%.1f", loop.seconds), timing("import_s"),
             timing("train_s"), timing("per_step_s"), timing("per_example_s"), timing("convert_s"), String(format: "%.1f", registration),
             String(format: "%.1f", validation), firstToken.map { String(format: "%.2f", $0.seconds) } ?? "-"],
        ])
        if let reason = ended.reason { print("  \(reason)") }
        try? FileManager.default.removeItem(atPath: runtime.finetune.jobsDirectory)
    }
}
