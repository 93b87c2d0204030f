@testable import A4PS
import Foundation
import Inference
import LivingImage
import Testing

/// The ascension for real, on the CPU (part of the serialized real-model suite), with two
/// genuinely different real models beside BRICK's SmolLM2-135M-Instruct on the embedded llama.cpp
/// server: Gemma 3 270M — Google's *base* model, installed by Scripts/install-local-model — and a
/// merged GGUF (`llama-export-lora`) of SmolLM2 with a LoRA the CPU trainer makes from BRICK's golden
/// examples. Both are evaluated on a clone, answers judged blind by ALFRED on SmolLM2 — Gemma held to
/// min_gain 0.5, the merged model to 0 (a tie wins) — and whichever way the real scores fall, the
/// outcome must follow them (a proposal iff new mean ≥ old + min_gain); a proposal is approved.
/// A GGUF that is not a model ends the ascension with llama.cpp's reason. Bounded: one hold-out
/// prompt, short answers, two training steps, no temporary adapter (the scripted tests cover it).
extension RealModelTests {
    @Test func ascensionOnTheEmbeddedServerFollowsTheRealScores() async throws {
        let install = LocalModelInstall.locate()
        try #require(FileManager.default.fileExists(atPath: install.gemmaModelFile),
                     "Gemma 3 270M is not installed (\(install.gemmaModelFile)): run Scripts/install-local-model")
        try #require(FileManager.default.isExecutableFile(atPath: install.exportLoRAExecutable),
                     "llama-export-lora is not installed (\(install.exportLoRAExecutable)): run Scripts/install-local-model")
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-real-ascension-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }

        try await withEmbeddedRuntime(configure: { config in
            config.ascension.minGain = 0.5
            config.ascension.validationPrompts = 1
            config.ascension.answerTokens = 64
            config.ascension.adapterExamples = 0
            config.ascension.recurateLimit = 1
            config.strategic.maxSteps = 2
            config.strategic.loraRank = 4
            config.strategic.loraAlpha = 8
            config.strategic.batchSize = 2
            config.strategic.maxSequenceLength = 128
        }) { runtime in
            defer {
                try? FileManager.default.removeItem(atPath: runtime.finetune.jobsDirectory)
                try? FileManager.default.removeItem(atPath: runtime.ascension.workDirectory)
            }
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
            let server = try #require(runtime.models.embeddedServer)

            // 1. Gemma 3 270M, a base model with no chat template of its own: the Oracle should find it worse.
            var clock = ContinuousClock.now
            let gemma = try await runtime.ascension.evaluate(persona: "BRICK", candidate: LocalModelInstall.servedName(ofFile: install.gemmaModelFile))
            let gemmaSeconds = ContinuousClock.now - clock
            try Self.expectConsistent(gemma, minGain: 0.5)
            #expect(gemma.served["file"]?.stringValue == install.gemmaModelFile)
            #expect(gemma.evaluation?["new"]?.arrayValue?.first?["model"]?.stringValue == "gemma-3-270m-q4_k_m")
            print("ascension real: Gemma 3 270M \(gemma.status.rawValue) in \(gemmaSeconds): \(gemma.reason ?? "") "
                + "timings \(gemma.evidence["timings"]?.jsonText ?? "?")")

            // 2. A merged SmolLM2 (a LoRA from BRICK's golden set, merged with llama-export-lora): a candidate that can win.
            clock = ContinuousClock.now
            let dataset = work.appendingPathComponent("golden.jsonl").path
            try runtime.golden.jsonl(of: "BRICK", split: .train).write(toFile: dataset, atomically: true, encoding: .utf8)
            let trained = try await Trainer(command: command).run(TrainerJobSpec(
                baseModel: install.chatModelFile, baseGGUF: install.chatModelFile, dataset: dataset,
                outputDirectory: work.appendingPathComponent("lora").path, hyper: runtime.finetune.hyperparameters, adapterName: "brick-lora"))
            let merged = work.appendingPathComponent("smollm2-brick-merged.gguf").path
            let export = try await offload {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: install.exportLoRAExecutable)
                process.arguments = ["-m", install.chatModelFile, "--lora", trained.adapterGGUF, "-o", merged, "-t", "2"]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                try process.run()
                process.waitUntilExit()
                return process.terminationStatus
            }
            try #require(export == 0 && FileManager.default.fileExists(atPath: merged), "llama-export-lora exited with \(export)")
            let preparation = ContinuousClock.now - clock
            // Held to min_gain 0 (a tie wins): a fair chance to go all the way through the protocol for real.
            var lenient = runtime.config
            lenient.ascension.minGain = 0
            let worker = AscensionWorker(image: runtime.image, models: runtime.models, golden: runtime.golden, finetune: runtime.finetune,
                                         runner: runtime.runner, store: runtime.ascension.store, config: lenient,
                                         trainer: Trainer(command: command), workDirectory: runtime.ascension.workDirectory)
            clock = ContinuousClock.now
            let candidate = try await worker.evaluate(persona: "BRICK", candidate: merged)
            let mergedSeconds = ContinuousClock.now - clock
            try Self.expectConsistent(candidate, minGain: 0)
            print("ascension real: merged SmolLM2 (LoRA + export \(preparation)) \(candidate.status.rawValue) in \(mergedSeconds): "
                + "\(candidate.reason ?? "") timings \(candidate.evidence["timings"]?.jsonText ?? "?")")
            if let proposal = candidate.proposal {
                // Won on real scores: the Architect approves; BRICK thinks with the merged model, a fine-tune is queued, rollback undoes it.
                let applied = try await worker.approve(proposal: proposal, note: "real scores")
                #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"]?.stringValue == "smollm2-brick-merged")
                #expect(server.servesModel("smollm2-brick-merged") && applied.finetuneJob != nil)
                try await runtime.image.defineMethod("ponder", on: "BRICK", source: "return think(args.prompt, {max_tokens = 16})")
                #expect(try await runtime.image.send("BRICK", "ponder", ["prompt": "Why check a map first?"]).stringValue?.isEmpty == false)
                try await runtime.image.rollback("BRICK", toChange: try #require(applied.rollbackTo), reason: "back")
                if let job = applied.finetuneJob { _ = try runtime.finetune.store.cancel(job) }
            } else {
                #expect(!server.servesModel("smollm2-brick-merged"))
            }
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)

            // 3. A GGUF that is no model: llama.cpp's reason, nothing left served.
            let broken = work.appendingPathComponent("broken-model.gguf").path
            try Data("GGUF".utf8 + [3, 0, 0, 0] + Array(repeating: 0xAB, count: 4096)).write(to: URL(fileURLWithPath: broken))
            let failed = try await runtime.ascension.evaluate(persona: "BRICK", candidate: broken)
            #expect(failed.status == .failed && failed.reason?.contains("does not load") == true, "\(failed.reason ?? "")")
            #expect(!server.servesModel("broken-model") && failed.clone == nil)
        }
    }

    /// The outcome the real scores call for: rejected below old + min_gain, proposed (or applied) at or above it.
    static func expectConsistent(_ record: AscensionRecord, minGain: Double, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let scores = try #require(record.scores, "no scores: \(record.status) \(record.reason ?? "")", sourceLocation: sourceLocation)
        #expect(record.evaluation?["new"]?.arrayValue?.count == record.evaluation?["prompts"]?.intValue, sourceLocation: sourceLocation)
        let wins = scores.new >= scores.old + minGain
        #expect(wins ? [.proposed, .applied].contains(record.status) : record.status == .rejected,
                "old \(scores.old), new \(scores.new), min_gain \(minGain): \(record.status)", sourceLocation: sourceLocation)
        if record.status == .rejected { #expect(record.clone == nil && record.proposal == nil, sourceLocation: sourceLocation) }
    }
}
