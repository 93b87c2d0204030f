import A4PS
import Foundation
import Inference
import Synchronization
import Testing

/// The trainer as an external process, with fake trainers (shell scripts) that succeed, fail,
/// talk garbage, hang or get killed: typed events, typed errors, and no process left behind.
@Suite struct TrainerTests {
    /// A fake trainer: `body` is sh run with the spec's path as $1, in a temporary directory that
    /// `test` gets (and that is removed afterwards).
    func withFakeTrainer(_ body: String, gracePeriod: Duration = .seconds(5),
                         _ test: (Trainer, TrainerJobSpec, URL) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-trainer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = dir.appendingPathComponent("trainer.sh")
        try ("set -u\ncd \"" + dir.path + "\"\n" + body + "\n").write(to: script, atomically: true, encoding: .utf8)
        let dataset = dir.appendingPathComponent("train.jsonl")
        try "{\"messages\":[]}\n".write(to: dataset, atomically: true, encoding: .utf8)
        let trainer = Trainer(command: TrainerCommand(executable: "/bin/sh", arguments: [script.path]), gracePeriod: gracePeriod)
        let spec = TrainerJobSpec(baseModel: "base", dataset: dataset.path, outputDirectory: dir.appendingPathComponent("out").path)
        try await test(trainer, spec, dir)
    }

    @Test func aTrainerThatSpeaksTheProtocolStreamsTypedEventsAndAResult() async throws {
        try await withFakeTrainer("""
            test -f "$1" || exit 9
            grep -q '"output_dir"' "$1" || exit 8
            echo '{"event":"started","trainer":"fake","examples":2}'
            echo 'a warning on stderr' >&2
            echo '{"event":"progress","step":1,"max_steps":2,"loss":2.5}'
            echo '{"event":"progress","step":2,"max_steps":2,"loss":1.5}'
            echo '{"event":"eval","phase":"after","loss":1.25}'
            echo '{"event":"something_new","x":1}'
            echo '{"event":"done","adapter_gguf":"/x/adapter.gguf","peft_dir":"/x/peft","steps":2,"examples":2,"train_loss":2.0,"eval_loss_after":1.25,"timings":{"train_s":1.5,"per_step_s":0.75}}'
            """) { trainer, spec, _ in
            let seen = Mutex<[TrainerEvent]>([])
            let result = try await trainer.run(spec) { event in seen.withLock { $0.append(event) } }
            #expect(result.adapterGGUF == "/x/adapter.gguf" && result.peftDirectory == "/x/peft")
            #expect(result.steps == 2 && result.trainLoss == 2.0 && result.evalLossAfter == 1.25)
            #expect(result.timings["per_step_s"] == 0.75)
            let events = seen.withLock { $0 }
            let progress = events.compactMap { if case .progress(let p) = $0 { p } else { nil } }
            #expect(progress.map(\.step) == [1, 2] && progress.map(\.loss) == [2.5, 1.5] && progress.allSatisfy { $0.maxSteps == 2 })
            #expect(events.contains(.log("a warning on stderr")))
            #expect(events.contains { if case .other(let name, _) = $0 { name == "something_new" } else { false } })
            #expect(events.contains { if case .finished = $0 { true } else { false } })
        }
    }

    @Test func theSpecIsWrittenInTheTrainersKeys() throws {
        let spec = TrainerJobSpec(baseModel: "HuggingFaceTB/SmolLM2-135M-Instruct", baseGGUF: "/m/smol.gguf", dataset: "/d/train.jsonl",
                                  holdout: "/d/holdout.jsonl", outputDirectory: "/o",
                                  hyper: TrainerHyperparameters(r: 4, alpha: 8, maxSteps: 3, learningRate: 0.001, batchSize: 2,
                                                                maxSequenceLength: 128))
        let json = try spec.jsonValue
        #expect(json["base_model"]?.stringValue == "HuggingFaceTB/SmolLM2-135M-Instruct")
        #expect(json["base_gguf"]?.stringValue == "/m/smol.gguf" && json["output_dir"]?.stringValue == "/o")
        #expect(json["hyper"]?["max_steps"]?.intValue == 3 && json["hyper"]?["max_seq_length"]?.intValue == 128)
        #expect(json["hyper"]?["learning_rate"]?.doubleValue == 0.001 && json["hyper"]?["epochs"] == nil)
        #expect(try TrainerJobSpec.decode(spec.jsonData()) == spec)
    }

    @Test func aNonZeroExitIsAFailureWithTheTrainersReason() async throws {
        try await withFakeTrainer("""
            echo '{"event":"started"}'
            echo 'Traceback: something broke' >&2
            echo '{"event":"error","message":"RuntimeError: convert_lora_to_gguf.py failed","kind":"training"}'
            exit 3
            """) { trainer, spec, _ in
            let error = await #expect(throws: TrainerError.self) { try await trainer.run(spec) }
            #expect(error?.code == .failed && error?.exitStatus == 3)
            #expect(error?.message.contains("convert_lora_to_gguf.py failed") == true)
            #expect(error?.standardErrorTail == ["Traceback: something broke"])
        }
        try await withFakeTrainer("exit 3") { trainer, spec, _ in
            let error = await #expect(throws: TrainerError.self) { try await trainer.run(spec) }
            #expect(error?.code == .failed && error?.exitStatus == 3)
        }
        try await withFakeTrainer("""
            echo '{"event":"error","message":"the dataset train.jsonl has no examples","kind":"spec"}'
            exit 2
            """) { trainer, spec, _ in
            let error = await #expect(throws: TrainerError.self) { try await trainer.run(spec) }
            #expect(error?.code == .invalidSpec && error?.message.contains("has no examples") == true)
        }
    }

    @Test func exitingWithoutAResultIsNoResult() async throws {
        try await withFakeTrainer("echo '{\"event\":\"started\"}'") { trainer, spec, _ in
            let error = await #expect(throws: TrainerError.self) { try await trainer.run(spec) }
            #expect(error?.code == .noResult)
        }
    }

    @Test func garbageOnStdoutStopsTheTrainerAtOnce() async throws {
        try await withFakeTrainer("""
            echo $$ > pid
            sleep 300 &
            echo $! > child
            echo '{"event":"started"}'
            echo 'Loading weights: 100%|#####| 272/272'
            wait
            """) { trainer, spec, dir in
            let started = ContinuousClock.now
            let error = await #expect(throws: TrainerError.self) { try await trainer.run(spec) }
            #expect(error?.code == .protocolViolation && error?.message.contains("Loading weights") == true)
            #expect(ContinuousClock.now - started < .seconds(60), "the trainer was not stopped")
            try await expectGone(dir, files: ["pid", "child"])
        }
    }

    @Test func cancellingStopsTheWholeProcessGroup() async throws {
        try await withFakeTrainer("""
            echo $$ > pid
            sleep 300 &
            echo $! > child
            echo '{"event":"started"}'
            wait
            """) { trainer, spec, dir in
            let run = try trainer.start(spec)
            _ = await readEvents(run.events, "the trainer starts") { if case .started = $0 { true } else { false } }
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("child").path))
            run.cancel()
            let error = await #expect(throws: TrainerError.self) { try await run.result() }
            #expect(error?.code == .cancelled)
            try await expectGone(dir, files: ["pid", "child"])
        }
    }

    @Test func aTrainerDeafToSIGTERMIsKilledAfterTheGracePeriod() async throws {
        try await withFakeTrainer("""
            trap '' TERM
            echo $$ > pid
            echo '{"event":"started"}'
            while :; do sleep 1; done
            """, gracePeriod: .milliseconds(500)) { trainer, spec, dir in
            let run = try trainer.start(spec)
            _ = await readEvents(run.events, "the trainer starts") { if case .started = $0 { true } else { false } }
            run.cancel()
            let error = await #expect(throws: TrainerError.self) { try await run.result() }
            #expect(error?.code == .cancelled)
            try await expectGone(dir, files: ["pid"])
        }
    }

    @Test func cancellingTheWaitingTaskCancelsTheRun() async throws {
        try await withFakeTrainer("""
            echo $$ > pid
            echo '{"event":"started"}'
            sleep 300
            """) { trainer, spec, dir in
            let waiting = Task { try await trainer.run(spec) }
            #expect(await waitUntil("the trainer writes its pid") { FileManager.default.fileExists(atPath: dir.appendingPathComponent("pid").path) })
            waiting.cancel()
            let outcome = await waiting.result
            #expect((outcome.error as? TrainerError)?.code == .cancelled)
            try await expectGone(dir, files: ["pid"])
        }
    }

    @Test func aTrainerKilledFromOutsideIsReportedKilled() async throws {
        try await withFakeTrainer("""
            echo '{"event":"started"}'
            sleep 300
            """) { trainer, spec, _ in
            let run = try trainer.start(spec)
            _ = await readEvents(run.events, "the trainer starts") { if case .started = $0 { true } else { false } }
            kill(run.processIdentifier, SIGKILL)
            let error = await #expect(throws: TrainerError.self) { try await run.result() }
            #expect(error?.code == .killed && error?.exitStatus == SIGKILL)
            #expect(await waitUntil("the run's sleep is gone") { !isAlive(run.processIdentifier) })
        }
    }

    @Test func aMissingTrainerNamesTheInstallScript() throws {
        let install = LocalModelInstall(cacheDirectory: "/nonexistent/a4ps-cache")
        let trainer = Trainer(command: .cpuLoRA(install: install, trainersDirectory: TrainerCommand.trainersDirectory()))
        let error = #expect(throws: TrainerError.self) {
            _ = try trainer.start(TrainerJobSpec(baseModel: "b", dataset: "/d", outputDirectory: "/tmp/unused"))
        }
        #expect(error?.code == .launchFailed && error?.message.contains("Scripts/install-trainer") == true)
        #expect(FileManager.default.fileExists(atPath: TrainerCommand.trainersDirectory() + "/cpu_lora.py"))
    }

    /// Waits until the processes whose ids the fake trainer wrote into `files` are gone.
    func expectGone(_ dir: URL, files: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for file in files {
            let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
            let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), sourceLocation: sourceLocation)
            await waitUntil("process \(pid) (\(file)) is gone", sourceLocation: sourceLocation) { !isAlive(pid) }
        }
    }
}

/// Whether the process runs (a zombie waiting for a parent that never reaps it counts as gone).
func isAlive(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return false }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state != "Z" && state != "X"
}

extension Result {
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
