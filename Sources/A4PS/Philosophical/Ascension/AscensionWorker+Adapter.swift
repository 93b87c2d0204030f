import Foundation
import Inference
import JSON
import LivingImage

/// The clone's temporary adapter (seed 002 §4.2): a LoRA trained for the candidate base on a
/// subset of the persona's golden set with the strategic loop's trainer, served under a name of
/// its own for the validation only.
extension AscensionWorker {
    /// Trains and registers the temporary adapter; answers its served name, or nil when none can be
    /// made here (the reason is in the record's evidence: no trainer, a server that serves no
    /// adapters, no trainer base for the candidate, `adapter_examples = 0`). A trainer that fails
    /// fails the ascension.
    func trainTemporaryAdapter(for candidate: AscensionCandidate, record: AscensionRecord) async throws -> String? {
        func skip(_ why: String) throws -> String? {
            try store.update(record.id, .init(evidence: ["adapter": ["skipped": .string(why)]]))
            return nil
        }
        guard settings.adapterExamples > 0 else { return try skip("[ascension] adapter_examples = 0") }
        if let missing = trainer.command.missing { return try skip(missing) }
        guard let server = models.adapterServer(for: record.persona) else {
            return try skip("\(models.backend(for: record.persona).displayName) serves no LoRA adapters")
        }
        let embedded = models.backend(for: record.persona) as? EmbeddedBackend
        let gguf = embedded.flatMap { $0.server.file(servedAs: candidate.name) }
        guard let base = candidate.trainerBase ?? gguf else {
            return try skip("no trainer base for \(candidate.name): set trainer_base for it in [ascension] candidates "
                + "(the Hugging Face id or directory the trainer loads)")
        }
        let train = try golden.examples(of: record.persona, split: .train)
        guard !train.isEmpty else { return try skip("\(record.persona) has no golden training example") }
        let subset = Self.spread(train, count: settings.adapterExamples)

        try store.update(record.id, .init(phase: "training"))
        publish("philosophical.ascension.training", try store.require(record.id), ["examples": .int(subset.count), "base": .string(base)])
        let directory = URL(fileURLWithPath: workDirectory).appendingPathComponent("ascension-\(record.id)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let dataset = directory.appendingPathComponent("subset.jsonl").path
        try subset.map { $0.chatML + "\n" }.joined().write(toFile: dataset, atomically: true, encoding: .utf8)
        let name = "\(record.persona.lowercased())-ascension-\(record.id)"
        let spec = TrainerJobSpec(baseModel: base, baseGGUF: gguf, dataset: dataset, outputDirectory: directory.appendingPathComponent("out").path,
                                  hyper: finetune.hyperparameters, adapterName: name)
        let began = ContinuousClock.now
        let result: TrainerResult
        do {
            result = try await trainer.run(spec)
        } catch {
            throw CandidateProblem("the clone's temporary adapter for \(candidate.name) could not be trained: \(error)")
        }
        let registration: AdapterRegistration
        do {
            registration = try await server.register(adapter: LoRAAdapter(ggufPath: result.adapterGGUF, peftDirectory: result.peftDirectory,
                                                                           baseModel: candidate.name), as: name)
        } catch {
            throw CandidateProblem("the clone's temporary adapter \(name) was refused by the server: \(error)")
        }
        try store.update(record.id, .init(
            evidence: ["adapter": ["name": .string(name), "examples": .int(subset.count), "base": .string(base), "steps": .int(result.steps),
                                   "train_loss": result.trainLoss.map { .number($0) } ?? .null,
                                   "trainer_timings": .object(result.timings.mapValues { .number($0) }),
                                   "registration_s": .number(BlindValidation.seconds(registration.duration))],
                       "timings": timings(["adapter_s": ContinuousClock.now - began], merging: record.id)],
            served: ["adapter": .string(name)]))
        return name
    }

    /// `count` items spread evenly over `items` (all of them when there are no more).
    static func spread<T>(_ items: [T], count: Int) -> [T] {
        guard items.count > count, count > 0 else { return items }
        return (0..<count).map { items[$0 * items.count / count] }
    }
}
