@testable import A4PS
import Foundation
import Inference
import LivingImage
import ScriptedModelServer
import Testing

/// Fine-tune jobs against fake trainers (shell scripts speaking the trainers' protocol): a job
/// that fails, talks garbage or is cancelled ends as such with its reason, its trainer stopped
/// and the persona unchanged; the governor admits or refuses jobs by ALFRED's codex; the golden
/// set's growth queues jobs on its own.
@Suite struct FinetuneJobTests {
    /// A fake trainer script in `dir` (run by /bin/sh with the spec as $1).
    static func fakeTrainer(_ body: String, in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("trainer-\(UUID().uuidString.prefix(6)).sh").path
        try ("#!/bin/sh\nset -u\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    /// Golden examples for BRICK (and ROBIN), harvested as the Oracle does.
    static func seedGolden(_ runtime: Runtime, turns: Int = 4, run: String = "run-seed") throws {
        var brick: [JSONValue] = []
        var robin: [JSONValue] = []
        for i in 0..<turns {
            brick += [["role": "user", "content": .string("Question \(i) for \(run)?")], ["role": "assistant", "content": .string("Answer \(i).")]]
            robin += [["role": "user", "content": .string("Feel \(i) for \(run)?")], ["role": "assistant", "content": .string("Warmly \(i).")]]
        }
        try runtime.golden.harvest(run: run, state: ["brick_history": .array(brick), "robin_history": .array(robin)], overall: 5)
    }

    /// Runs `body` with a runtime whose `[strategic] trainer` is a fake trainer of `script`.
    func withFakeTrainerRuntime(_ script: String, configure: @escaping (inout A4PSConfig) -> Void = { _ in },
                                _ body: @escaping (Runtime, ScriptedModelServer) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-ftjob-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainer = try Self.fakeTrainer(script, in: dir)
        try await withRuntime(configure: { config in
            config.strategic.trainer = trainer
            configure(&config)
        }) { runtime, server in
            try await body(runtime, server)
            try? FileManager.default.removeItem(atPath: runtime.finetune.jobsDirectory)
        }
    }

    @Test func aFailingTrainerFailsTheJobWithItsReasonAndTheMindUnchanged() async throws {
        try await withFakeTrainerRuntime("""
            echo '{"event":"started"}'
            echo '{"event":"progress","step":1,"max_steps":3,"loss":2.0}'
            echo 'Traceback: out of memory' >&2
            echo '{"event":"error","message":"RuntimeError: the trainer broke","kind":"training"}'
            exit 1
            """) { runtime, _ in
            try Self.seedGolden(runtime)
            let events = runtime.image.events.subscribe()
            let job = try runtime.finetune.enqueue(persona: "brick")
            #expect(job.status == .queued && job.adapterName == "brick-golden-\(job.id)" && job.examples + job.holdout == 4)
            await #expect(throws: TrainerError.self) { _ = try await runtime.finetune.run(job.id) }
            let ended = try #require(try runtime.finetune.store.job(job.id))
            #expect(ended.status == .failed && ended.attempts == 1)
            #expect(ended.reason?.contains("the trainer broke") == true)
            #expect(ended.step == 1 && ended.maxSteps == 3 && ended.loss == 2.0)
            #expect(ended.log.contains("Traceback: out of memory"))
            #expect(ended.provenance["dataset_digest"]?.stringValue == job.datasetDigest)
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil)
            let names = await readEvents(events, "the job's failure on the event bus") { eventName($0) == "strategic.job.failed" }
                .compactMap(eventName)
            #expect(names.contains("strategic.job.queued") && names.contains("strategic.job.started") && names.contains("strategic.job.progress"))
        }
    }

    @Test func garbageFromTheTrainerFailsTheJob() async throws {
        try await withFakeTrainerRuntime("""
            echo '{"event":"started"}'
            echo 'this is not the protocol'
            sleep 30
            """) { runtime, _ in
            try Self.seedGolden(runtime)
            let job = try runtime.finetune.enqueue(persona: "BRICK")
            await #expect(throws: TrainerError.self) { _ = try await runtime.finetune.run(job.id) }
            let ended = try #require(try runtime.finetune.store.job(job.id))
            #expect(ended.status == .failed)
            #expect(ended.reason?.contains("this is not the protocol") == true, "\(ended.reason ?? "")")
        }
    }

    @Test func aCancelledJobStopsItsTrainer() async throws {
        try await withFakeTrainerRuntime("""
            echo '{"event":"started"}'
            echo '{"event":"progress","step":1,"max_steps":100,"loss":2.0}'
            echo $$ > "$(dirname "$1")/trainer.pid"
            sleep 120
            """) { runtime, _ in
            try Self.seedGolden(runtime)
            let job = try runtime.finetune.enqueue(persona: "BRICK")
            let running = Task { try await runtime.finetune.run(job.id) }
            let pidFile = URL(fileURLWithPath: runtime.finetune.jobsDirectory).appendingPathComponent("job-\(job.id)/out/trainer.pid").path
            try await waitUntil("the trainer reports a step") {
                (try? runtime.finetune.store.job(job.id))?.step == 1 && FileManager.default.fileExists(atPath: pidFile)
            }
            let pid = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            // Asked through the store, as `a4ps finetune cancel` in another process does.
            #expect(try runtime.finetune.store.cancel(job.id) == .running)
            let error = await #expect(throws: FinetuneError.self) { _ = try await running.value }
            #expect(error?.code == .cancelled)
            #expect(try runtime.finetune.store.job(job.id)?.status == .cancelled)
            await waitUntil("the trainer is gone") { kill(pid, 0) != 0 }
            // A queued job is cancelled at once.
            let queued = try runtime.finetune.enqueue(persona: "ROBIN")
            #expect(try runtime.finetune.store.cancel(queued.id) == .cancelled)
        }
    }

    @Test func theGovernorAdmitsFinetunesByTheCodex() async throws {
        try await withFakeTrainerRuntime("exit 1") { runtime, _ in
            try Self.seedGolden(runtime)
            let events = runtime.image.events.subscribe()
            // ALFRED judges the validation: he is not among finetune_allowed.
            try runtime.golden.harvest(run: "r-alfred", state: [
                "alfred_history": [["role": "user", "content": "Synthesize"], ["role": "assistant", "content": "An answer."]],
            ], overall: 5)
            let refused = #expect(throws: ImageError.self) { try runtime.finetune.enqueue(persona: "ALFRED") }
            #expect(refused?.code == .vetoed && refused?.veto?.rule == "finetune_allowed")
            _ = await readEvents(events, "the governor's veto") { if case .governorVeto = $0 { true } else { false } }
            // A budget of one job a day: the second is refused.
            let alfred = try #require(runtime.image.memory.proto(named: "ALFRED"))
            var clone = alfred.clone()
            var codex = clone.codex.objectValue ?? [:]
            var governance = codex["governance"]?.objectValue ?? [:]
            governance["finetunes_per_day"] = 1
            codex["governance"] = .object(governance)
            clone.codex = .object(codex)
            try await runtime.image.memory.swap(clone, expecting: alfred.version, author: .architect, reason: "one a day")
            let first = try runtime.finetune.enqueue(persona: "BRICK")
            #expect(first.status == .queued)
            // One job per persona at a time.
            let busy = #expect(throws: FinetuneError.self) { try runtime.finetune.enqueue(persona: "BRICK") }
            #expect(busy?.code == .busy)
            let overBudget = #expect(throws: ImageError.self) { try runtime.finetune.enqueue(persona: "ROBIN") }
            #expect(overBudget?.veto?.rule == "finetunes_per_day")
            // Without examples there is nothing to train.
            try runtime.golden.examples(of: "BABS").forEach { try runtime.golden.remove($0.id) }
            #expect(throws: FinetuneError.self) { try runtime.finetune.enqueue(persona: "BABS") }
        }
    }

    @Test func theStrategicAuthorRebindsOnlyAllowedPersonasModelsByASwap() async throws {
        try await withRuntime { runtime, _ in
            // An adapter the loop registered on BRICK's base model: the governor binds only a model it knows.
            try runtime.finetune.store.recordAdapter(name: "brick-golden-9", persona: "BRICK", job: 9, files: LoRAAdapter(
                ggufPath: "/nowhere/adapter.gguf", peftDirectory: "/nowhere/peft", baseModel: "phi3:mini-4k-instruct"))
            let brick = try #require(runtime.image.memory.proto(named: "BRICK"))
            var clone = brick.clone()
            clone.slots["model"] = "brick-golden-9"
            try await runtime.image.memory.swap(clone, expecting: brick.version, author: .strategic, reason: "validated")
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == "brick-golden-9")
            #expect(try runtime.image.history(proto: "BRICK", limit: 1).last?.author == .strategic)
            // Not ALFRED (not in finetune_allowed), not the codex, not through a method.
            let alfred = try #require(runtime.image.memory.proto(named: "ALFRED"))
            var alfredClone = alfred.clone()
            alfredClone.slots["model"] = "alfred-golden-1"
            let vetoed = await #expect(throws: ImageError.self) {
                try await runtime.image.memory.swap(alfredClone, expecting: alfred.version, author: .strategic, reason: "no")
            }
            #expect(vetoed?.veto?.rule == "finetune_allowed")
            let current = try #require(runtime.image.memory.proto(named: "BRICK"))
            var codexClone = current.clone()
            codexClone.codex = ["role": "rewritten"]
            let codexVeto = await #expect(throws: ImageError.self) {
                try await runtime.image.memory.swap(codexClone, expecting: current.version, author: .strategic, reason: "no")
            }
            #expect(codexVeto?.veto?.rule == "protected_slots")
            try await runtime.image.defineMethod("rebind", on: "BRICK", source: "self:set('model', 'x') return 1")
            let methodVeto = await #expect(throws: ImageError.self) { _ = try await runtime.image.send("BRICK", "rebind", author: .strategic) }
            #expect(methodVeto?.code == .vetoed)
        }
    }

    @Test func aGrowingGoldenSetQueuesAJobOnItsOwn() async throws {
        try await withFakeTrainerRuntime("exit 1", configure: { $0.strategic.minExamples = 3 }) { runtime, _ in
            #expect(runtime.finetune.enqueueDue().isEmpty)
            try Self.seedGolden(runtime, turns: 4)
            let queued = runtime.finetune.enqueueDue()
            #expect(Set(queued.map(\.persona)) == ["BRICK", "ROBIN"])
            #expect(queued.allSatisfy { $0.trigger == "golden" && $0.status == .queued })
            // Not again until the set grows by min_examples more (and not while a job is queued).
            #expect(runtime.finetune.enqueueDue().isEmpty)
            queued.forEach { _ = try? runtime.finetune.store.cancel($0.id) }
            #expect(runtime.finetune.enqueueDue().isEmpty)
        }
    }
}

/// The name of an event a method or the runtime emitted (`strategic.job.failed`), nil for other events.
func eventName(_ event: ImageEvent) -> String? {
    if case .emitted(_, let name, _) = event { name } else { nil }
}
