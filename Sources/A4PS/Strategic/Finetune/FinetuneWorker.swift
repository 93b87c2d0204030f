import Foundation
import Inference
import JSON
import LivingImage
import Logging

/// The strategic loop's fine-tune (seed 002 Part III, seed 004 §3.1): queues jobs (on demand, or
/// when a persona's golden set has grown by `[strategic] min_examples`), and runs one: the golden
/// dataset written out as ChatML JSONL → the trainer (`[strategic] trainer`) → the adapter
/// registered with the persona's model server under a versioned name → validated against the old
/// mind by ALFRED's Oracle → swapped in by compare-and-swap of the persona's `model` binding
/// (author `strategic`, through the governor, in the change log; `a4ps image rollback` undoes it)
/// or discarded (unregistered) with the reason.
///
/// Every step is recorded in the job (``FinetuneJobStore``) and published on the event bus
/// (`strategic.job.*`, `strategic.swapped`, `strategic.discarded`).
public struct FinetuneWorker: Sendable {
    let image: Image
    let models: ModelManager
    let golden: GoldenDataset
    public let store: FinetuneJobStore
    let settings: StrategicSettings
    let trainer: Trainer
    /// Where jobs write their datasets, specs, logs and adapters (`IMAGE.finetune/job-N`).
    public let jobsDirectory: String
    let owner = LeaseOwner()
    let logger: Logger
    /// What the trainer loads for a base model the persona may be bound to beside `[strategic]
    /// base_model` (model name → Hugging Face id, directory or GGUF): the `trainer_base` of
    /// `[ascension] candidates`, so that a persona that ascended is fine-tuned on its new base.
    let trainerBases: [String: String]

    public init(image: Image, models: ModelManager, golden: GoldenDataset, store: FinetuneJobStore, settings: StrategicSettings,
                trainer: Trainer, jobsDirectory: String, trainerBases: [String: String] = [:],
                logger: Logger = Logger(label: "a4ps.strategic")) {
        self.trainerBases = trainerBases
        self.image = image
        self.models = models
        self.golden = golden
        self.store = store
        self.settings = settings
        self.trainer = trainer
        self.jobsDirectory = jobsDirectory
        self.logger = logger
    }

    // MARK: Queueing

    /// Queues a fine-tune of `persona` (`trigger`: `architect` on demand, `golden` on its own),
    /// when the governor lets it and the persona has examples to train on.
    @discardableResult
    public func enqueue(persona name: String, trigger: String = "architect") throws -> FinetuneJob {
        let persona = name.uppercased()
        guard let proto = image.memory.proto(named: persona), proto.codex["system_prompt"]?.stringValue?.isEmpty == false else {
            throw FinetuneError(.invalidPersona, "\(persona) is not a persona with a system prompt in its codex (BRICK, ROBIN, BABS, ALFRED)")
        }
        let train = try golden.examples(of: persona, split: .train)
        let holdout = try golden.examples(of: persona, split: .holdout)
        guard train.count + holdout.count > 0 else {
            throw FinetuneError(.noData, "\(persona) has no golden examples yet: they come from interactions the Oracle scores at or above "
                + "[strategic] golden_threshold (see `a4ps golden list`)")
        }
        let digest = GoldenDataset.digest(train.map(\.chatML).joined(separator: "\n"))
        let job: FinetuneJob
        do {
            // The governor's rule is checked in the store's transaction (two processes never both take the last
            // job of the day); its refusal is recorded once that transaction has ended.
            job = try store.enqueue(persona: persona, trigger: trigger, examples: train.count, holdout: holdout.count,
                                    datasetDigest: digest) { startedToday in
                if let veto = Governor.finetuneVeto(of: persona, startedToday: startedToday, rules: image.governanceRules) {
                    throw Refused(veto: veto)
                }
            }
        } catch let refused as Refused {
            throw image.refuse([refused.veto])
        }
        publish("strategic.job.queued", job)
        return job
    }

    /// A governor's refusal found inside the job store's transaction.
    private struct Refused: Error {
        let veto: Governor.Veto
    }

    /// Queues a job for each persona whose golden set has grown by `[strategic] min_examples`
    /// since its last job (the automatic trigger, after the Oracle added examples). A persona the
    /// governor refuses, or one with a job under way, is left for later.
    @discardableResult
    public func enqueueDue() -> [FinetuneJob] {
        guard settings.minExamples > 0, let counts = try? golden.counts() else { return [] }
        var queued: [FinetuneJob] = []
        for (persona, count) in counts.sorted(by: { $0.key < $1.key }) {
            guard let since = try? store.examplesAtLastJob(of: persona), count - since >= settings.minExamples,
                  image.governanceRules.finetuneAllowed.contains(persona) else { continue }
            do {
                queued.append(try enqueue(persona: persona, trigger: "golden"))
            } catch {
                logger.info("no automatic fine-tune of \(persona) now: \(error)")
            }
        }
        return queued
    }

    // MARK: Running

    /// Runs the queued jobs one after another until none is left (a job another process runs
    /// meanwhile is left to it). Answers the jobs it ran, as they ended.
    public func runQueued(progress: @escaping @Sendable (FinetuneJob) -> Void = { _ in }) async -> [FinetuneJob] {
        var ran: [FinetuneJob] = []
        _ = try? store.recover()
        while !Task.isCancelled, let job = try? store.claim(owner: owner) {
            if let ended = try? await run(claimed: job, progress: progress) { ran.append(ended) }
        }
        return ran
    }

    /// Runs job `id` now (it must be queued and no other job running) and answers it as it ended.
    public func run(_ id: Int64, progress: @escaping @Sendable (FinetuneJob) -> Void = { _ in }) async throws -> FinetuneJob {
        try store.recover()
        guard let job = try store.claim(id, owner: owner) else { throw FinetuneError(.noSuchJob, "fine-tune job \(id) could not be taken") }
        return try await run(claimed: job, progress: progress)
    }

    private func run(claimed job: FinetuneJob, progress: @escaping @Sendable (FinetuneJob) -> Void) async throws -> FinetuneJob {
        publish("strategic.job.started", job)
        let (store, owner, id) = (store, owner, job.id)
        let work = Task { try await execute(job, progress: progress) }
        // The lease is renewed while the job works; a cancellation asked for by anyone (another
        // process: `a4ps finetune cancel`) stops it within a second.
        let watch = Task {
            var ticks = 0
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                ticks += 1
                if (try? store.isCancelRequested(id)) == true { work.cancel(); return }
                if ticks % 10 == 0, (try? store.renew(id, owner: owner)) == false { work.cancel(); return }
            }
        }
        let outcome = await withTaskCancellationHandler { await work.result } onCancel: { work.cancel() }
        watch.cancel()
        switch outcome {
        case .success(let ended):
            return ended
        case .failure(let error):
            let requested = (try? store.isCancelRequested(id)) == true
            if Task.isCancelled, !requested {
                // The worker itself is stopping (a4ps serve shutting down): the job waits for the next one.
                try? store.requeue(id, owner: owner, reason: "its worker stopped (a4ps shut down); queued to start again")
                progress((try? store.job(id)) ?? job)
                throw CancellationError()
            }
            let cancelled = requested || error is CancellationError || (error as? TrainerError)?.code == .cancelled
            try? store.finish(id, owner: owner, status: cancelled ? .cancelled : .failed, reason: cancelled ? "cancelled" : "\(error)")
            let ended = (try? store.job(id)) ?? job
            publish(cancelled ? "strategic.job.cancelled" : "strategic.job.failed", ended)
            progress(ended)
            if cancelled { throw FinetuneError(.cancelled, "fine-tune job \(id) was cancelled") }
            throw error
        }
    }

    /// The job's work; an error leaves no adapter registered that is not bound.
    private func execute(_ job: FinetuneJob, progress: @escaping @Sendable (FinetuneJob) -> Void) async throws -> FinetuneJob {
        let (store, owner, id) = (store, owner, job.id)
        let persona = job.persona
        guard let proto = image.memory.proto(named: persona) else { throw FinetuneError(.invalidPersona, "there is no persona \(persona)") }
        guard let server = models.adapterServer(for: persona) else {
            throw FinetuneError(.cannotServeAdapters, "\(persona)'s backend (\(models.backend(for: persona).displayName)) cannot serve a "
                + "LoRA adapter: bind it to the embedded server, Ollama or vLLM ([personas.\(persona.lowercased())] backend in config.toml)")
        }
        func report(_ update: FinetuneJobStore.Report) {
            try? store.report(id, owner: owner, update)
            if let current = try? store.job(id) { progress(current) }
        }

        // 1. The data, as the trainer reads it.
        let directory = URL(fileURLWithPath: jobsDirectory).appendingPathComponent("job-\(id)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let train = try golden.examples(of: persona, split: .train)
        let holdout = try golden.examples(of: persona, split: .holdout)
        let trainFile = directory.appendingPathComponent("train.jsonl").path
        let holdoutFile = directory.appendingPathComponent("holdout.jsonl").path
        // A dataset of hold-out examples only trains on them (and says so); an empty hold-out set is left out.
        let trainSet = train.isEmpty ? holdout : train
        try (trainSet.map { $0.chatML + "\n" }.joined()).write(toFile: trainFile, atomically: true, encoding: .utf8)
        if !holdout.isEmpty { try (holdout.map { $0.chatML + "\n" }.joined()).write(toFile: holdoutFile, atomically: true, encoding: .utf8) }
        let digest = GoldenDataset.digest(trainSet.map(\.chatML).joined(separator: "\n"))

        // 2. Training.
        let oldBinding = PersonaPrimitives.binding(for: proto, models: models)
        let baseName = oldBinding.model ?? models.model(for: oldBinding.persona) ?? ""
        let base = trainingBase(for: baseName, persona: persona)
        let spec = TrainerJobSpec(
            baseModel: base.model, baseGGUF: base.gguf, dataset: trainFile, holdout: holdout.isEmpty ? nil : holdoutFile,
            outputDirectory: directory.appendingPathComponent("out").path, hyper: hyperparameters, adapterName: job.adapterName)
        report(.init(phase: "training", provenance: [
            "dataset_digest": .string(digest), "train_examples": .int(trainSet.count), "holdout_examples": .int(holdout.count),
            "trainer": .string(([trainer.command.executable] + trainer.command.arguments).joined(separator: " ")),
            "base": .string(spec.baseModel), "old_model": .string(baseName), "spec": (try? spec.jsonValue) ?? .null,
        ]))
        let run = try trainer.start(spec)
        report(.init(trainerPID: run.processIdentifier))
        let events = run.events
        let result: TrainerResult = try await withTaskCancellationHandler {
            // Log lines are written in batches (a chatty trainer must not cost a write per line).
            var pending: [String] = []
            for await event in events {
                switch event {
                case .progress(let step):
                    report(.init(step: step.step, maxSteps: step.maxSteps, loss: step.loss, log: pending))
                    pending = []
                    publish("strategic.job.progress", ["job": .int(Int(id)), "step": .int(step.step), "max_steps": .int(step.maxSteps),
                                                        "loss": step.loss.map { .number($0) } ?? .null], persona: persona)
                case .log(let line):
                    pending.append(line)
                    if pending.count >= 20 { report(.init(log: pending)); pending = [] }
                case .failed(let message, _): pending.append("trainer: " + message)
                default: break
                }
            }
            if !pending.isEmpty { report(.init(log: pending)) }
            return try await run.result()
        } onCancel: {
            run.cancel()
        }
        report(.init(phase: "registering", provenance: ["training": .object([
            "steps": .int(result.steps), "examples": .int(result.examples), "train_loss": result.trainLoss.map { .number($0) } ?? .null,
            "eval_loss_before": result.evalLossBefore.map { .number($0) } ?? .null,
            "eval_loss_after": result.evalLossAfter.map { .number($0) } ?? .null,
            "timings": .object(result.timings.mapValues { .number($0) }),
            "adapter_gguf": .string(result.adapterGGUF), "peft_dir": .string(result.peftDirectory),
        ])]))

        // 3. Registration with the persona's model server.
        try Task.checkCancellation()
        let adapter = LoRAAdapter(ggufPath: result.adapterGGUF, peftDirectory: result.peftDirectory, baseModel: baseName)
        try image.admitFinetune(of: persona, startedToday: 0)   // still allowed to retune this persona?
        let registration = try await server.register(adapter: adapter, as: job.adapterName)
        try store.recordAdapter(name: job.adapterName, persona: persona, job: id, files: adapter)
        publish("strategic.job.registered", ["job": .int(Int(id)), "adapter": .string(job.adapterName),
                                               "seconds": .number(Self.seconds(registration.duration))], persona: persona)
        report(.init(phase: "validating", provenance: ["registration": .object([
            "adapter": .string(job.adapterName), "seconds": .number(Self.seconds(registration.duration)),
            "load_seconds": .number(Self.seconds(registration.loadDuration)),
        ])]))

        do {
            // 4. Validation on a clone bound to the adapter, judged blind by the Oracle.
            let source = holdout.isEmpty ? "train" : "holdout"
            let requests = BlindValidation.requests(from: holdout.isEmpty ? train : holdout, limit: settings.validationPrompts)
            guard !requests.isEmpty else { throw FinetuneError(.noData, "no usable prompt to validate \(job.adapterName) on") }
            let validation = try await BlindValidation.run(persona: proto, newModel: job.adapterName, requests: requests,
                                                           promptSource: source, image: image, models: models)
            report(.init(phase: "deciding", provenance: ["validation": validation.json]))
            let threshold = validation.oldMean + settings.minGain
            let why = String(format: "new mean %.2f vs old %.2f on %d %@ prompt(s), min_gain %.2f",
                             validation.newMean, validation.oldMean, validation.prompts, source, settings.minGain)

            // 5. The swap — or the discard.
            if validation.newMean >= threshold {
                let before = try? image.history(proto: persona, limit: 1).last?.id
                let change = try await swap(persona: persona, validatedAgainst: proto, to: job.adapterName, job: job, digest: digest,
                                      validation: validation, why: why)
                try store.finish(id, owner: owner, status: .succeeded, decision: .swapped, reason: why,
                                 provenance: ["change": change.map { .int(Int($0.id)) } ?? .null,
                                              "rollback_to": before.map { .int(Int($0)) } ?? .null])
                let ended = try store.job(id)!
                publish("strategic.swapped", ["job": .int(Int(id)), "adapter": .string(job.adapterName), "old_model": .string(baseName),
                                              "old_mean": .number(validation.oldMean), "new_mean": .number(validation.newMean),
                                              "change": change.map { .int(Int($0.id)) } ?? .null], persona: persona)
                publish("strategic.job.succeeded", ended)
                progress(ended)
                return ended
            }
            try? await server.unregister(adapter: job.adapterName)
            try? store.markPruned(job.adapterName)
            try store.finish(id, owner: owner, status: .succeeded, decision: .discarded, reason: "did not validate: " + why)
            let ended = try store.job(id)!
            publish("strategic.discarded", ["job": .int(Int(id)), "adapter": .string(job.adapterName), "reason": .string(why),
                                            "old_mean": .number(validation.oldMean), "new_mean": .number(validation.newMean)], persona: persona)
            publish("strategic.job.succeeded", ended)
            progress(ended)
            return ended
        } catch {
            try? await server.unregister(adapter: job.adapterName)
            try? store.markPruned(job.adapterName)
            throw error
        }
    }

    /// Binds the persona to the adapter by compare-and-swap against the proto it was validated
    /// on. When the persona changed meanwhile but its binding did not, the swap is made against the
    /// new version; a binding changed meanwhile (by the Architect) is never overwritten.
    private func swap(persona: String, validatedAgainst validated: Proto, to adapter: String, job: FinetuneJob, digest: String,
                      validation: BlindValidation, why: String) async throws -> ChangeRecord? {
        let slot = GovernanceRules.modelSlot
        let provenance: JSONValue = [
            "job": .int(Int(job.id)), "adapter": .string(adapter), "dataset_digest": .string(digest),
            "trainer": .string(trainer.command.executable), "old_scores": .array(validation.old.map { .int($0.score) }),
            "new_scores": .array(validation.new.map { .int($0.score) }), "old_mean": .number(validation.oldMean),
            "new_mean": .number(validation.newMean), "validation_seconds": .number(Self.seconds(validation.duration)),
        ]
        let reason = "fine-tune job \(job.id): \(persona) thinks with \(adapter) (\(why)); provenance \(provenance.jsonText)"
        var current = validated
        for _ in 0..<4 {
            guard current.slots[slot] == validated.slots[slot] else {
                throw FinetuneError(.busy, "\(persona)'s model binding changed during validation (now \(current.slots[slot]?.jsonText ?? "none")): "
                    + "\(adapter) stays registered but unbound; bind it with `a4ps slot set \(persona) model '\"\(adapter)\"'` if wanted")
            }
            var clone = current
            clone.slots[slot] = .string(adapter)
            let outcome: Result<ChangeRecord?, ImageError>
            do {
                outcome = .success(try await image.memory.swap(clone, expecting: current.version, author: .strategic, reason: reason))
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let change):
                return change
            case .failure(let error):
                // Another change to the persona committed first: look again (its binding may still be the validated one).
                guard error.code == .conflict, let fresh = image.memory.proto(named: persona) else { throw error }
                current = fresh
            }
        }
        throw FinetuneError(.busy, "\(persona) kept changing while the strategic loop tried to bind \(adapter); run the job again")
    }

    /// The trainer's hyper-parameters from `[strategic]`.
    var hyperparameters: TrainerHyperparameters {
        TrainerHyperparameters(r: settings.loraRank, alpha: settings.loraAlpha, epochs: settings.epochs, maxSteps: settings.maxSteps,
                               learningRate: settings.learningRate, batchSize: settings.batchSize,
                               maxSequenceLength: settings.maxSequenceLength)
    }

    private func publish(_ name: String, _ job: FinetuneJob) {
        var payload: [String: JSONValue] = ["job": .int(Int(job.id)), "status": .string(job.status.rawValue),
                                            "adapter": .string(job.adapterName), "trigger": .string(job.trigger)]
        if let reason = job.reason { payload["reason"] = .string(reason) }
        if let decision = job.decision { payload["decision"] = .string(decision.rawValue) }
        publish(name, .object(payload), persona: job.persona)
    }

    private func publish(_ name: String, _ payload: JSONValue, persona: String) {
        image.events.publish(.emitted(proto: persona, name: name, payload: payload))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
