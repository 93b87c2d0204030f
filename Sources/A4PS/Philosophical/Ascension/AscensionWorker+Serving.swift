import Foundation
import Inference
import JSON
import LivingImage

/// Putting a candidate on the persona's model server for its clone — Ollama pulls it (progress on
/// the event bus), the embedded server serves its GGUF under its name, vLLM must serve it already —
/// and taking away again what an ascension put there when it ends without ascending.
extension AscensionWorker {
    /// Makes `candidate` answer on the persona's server; what this ascension adds is recorded in
    /// its `served` (and removed by ``removeClone(of:)``).
    func serve(_ candidate: AscensionCandidate, for record: AscensionRecord) async throws {
        let backend = models.backend(for: record.persona)
        if let embedded = backend as? EmbeddedBackend {
            let file = candidate.file ?? embedded.server.file(servedAs: candidate.name)
            guard let file else { throw CandidateProblem("\(candidate.name) has no GGUF file for the embedded server to serve") }
            guard candidate.name != LocalModelInstall.chatModel else { return }
            let added = !embedded.server.servesModel(candidate.name)
            try store.update(record.id, .init(phase: "loading"))
            let load: LoadReport
            do {
                load = try await embedded.register(model: file, as: candidate.name)
            } catch {
                throw CandidateProblem("\(candidate.name) does not load: \(error)")
            }
            // A model served before this ascension (another's, or one a persona ascended to) is left served.
            try store.update(record.id, .init(evidence: ["timings": timings(["load_s": load.duration], merging: record.id)],
                                              served: ["model": .string(candidate.name), "file": .string(file), "registered": .bool(added)]))
            publish("philosophical.ascension.loaded", try store.require(record.id), ["file": .string(file),
                                                                                    "seconds": .number(BlindValidation.seconds(load.duration))])
            return
        }
        switch candidate.availability {
        case .present, .file:
            return
        case .notServed:
            throw CandidateProblem("\(backend.displayName) does not serve \(candidate.name) and cannot pull it: start the server with it "
                + "(vLLM: `vllm serve \(candidate.name)`)")
        case .pullable:
            try await pull(candidate, on: backend, for: record)
        }
    }

    /// Ollama's pull, its progress on the event bus, its size checked again once it is known.
    private func pull(_ candidate: AscensionCandidate, on backend: any ModelBackend, for record: AscensionRecord) async throws {
        try store.update(record.id, .init(phase: "pulling"))
        let current = try store.require(record.id)
        publish("philosophical.ascension.pulling", current, ["server": .string(backend.displayName)])
        let started = ContinuousClock.now
        var last: (status: String, percent: Int) = ("", -1)
        var succeeded = false
        do {
            for try await progress in backend.pull(model: candidate.name) {
                let percent = progress.fraction.map { Int($0 * 100) } ?? -1
                if progress.status != last.status || percent != last.percent {
                    last = (progress.status, percent)
                    var payload: [String: JSONValue] = ["status": .string(progress.status)]
                    if let total = progress.total { payload["total"] = .int(Int(total)) }
                    if let completed = progress.completed { payload["completed"] = .int(Int(completed)) }
                    if let fraction = progress.fraction { payload["fraction"] = .number(fraction) }
                    publish("philosophical.ascension.progress", current, payload)
                }
                succeeded = succeeded || progress.isSuccess
            }
        } catch {
            throw CandidateProblem("pulling \(candidate.name) failed: \(error)")
        }
        guard succeeded else { throw CandidateProblem("pulling \(candidate.name) ended without \"success\" from \(backend.displayName)") }
        try store.update(record.id, .init(evidence: ["timings": timings(["pull_s": ContinuousClock.now - started], merging: record.id)],
                                          served: ["pulled": .string(candidate.name)]))
        // What was pulled is measured now: it must still fit.
        if let pulled = try? await backend.listModels().first(where: { $0.name == candidate.name || $0.name == candidate.name + ":latest" }),
           let size = pulled.sizeBytes {
            var measured = candidate
            (measured.sizeBytes, measured.sizeSource) = (size, "the server, once pulled")
            try store.update(record.id, .init(evidence: ["pulled_size_bytes": .int(Int(size))]))
            try await checkFit(measured, persona: record.persona)
        }
    }

    /// Removes the clone of a running ascension and what it put on the server — the model it
    /// pulled or had served, unless a persona thinks with it or another live ascension uses it —
    /// and records that it did. Never fails: what cannot be removed is logged.
    func removeClone(of record: AscensionRecord) async {
        let current = (try? store.require(record.id)) ?? record
        let served = current.served
        var removed: [String: JSONValue] = [:]
        if let adapter = served["adapter"]?.stringValue, served["adapter_removed"] == nil {
            await unregisterTemporaryAdapter(adapter, persona: record.persona, ascension: record.id)
        }
        let model = served["model"]?.stringValue ?? served["pulled"]?.stringValue
        if let model, !inUse(model, besides: record.id) {
            let backend = models.backend(for: record.persona)
            if let embedded = backend as? EmbeddedBackend, served["registered"]?.boolValue == true {
                do {
                    try await embedded.unregister(model: model)
                    removed["unregistered"] = .string(model)
                } catch {
                    logger.warning("ascension \(record.id): the embedded server still serves \(model): \(error)")
                }
            } else if let ollama = backend as? OllamaBackend, served["pulled"]?.stringValue == model {
                do {
                    try await ollama.deleteModel(model)
                    removed["deleted"] = .string(model)
                } catch {
                    logger.warning("ascension \(record.id): \(model) stays pulled on \(ollama.displayName): \(error)")
                }
            }
        }
        try? store.cloneRemoved(record.id, served: removed)
    }

    /// Whether a persona is bound to `model`, or a live ascension (other than `id`) needs it served.
    func inUse(_ model: String, besides id: Int64) -> Bool {
        if image.memory.snapshot().values.contains(where: { $0.slots[GovernanceRules.modelSlot]?.stringValue == model }) { return true }
        if ModelNames.personas.contains(where: { models.model(for: $0) == model }) { return true }
        return ((try? store.live()) ?? []).contains { $0.id != id && $0.candidate == model }
    }

    /// Takes the clone's temporary adapter off the server (its files stay in the work directory).
    func unregisterTemporaryAdapter(_ name: String, persona: String, ascension: Int64) async {
        do {
            try await models.adapterServer(for: persona)?.unregister(adapter: name)
        } catch {
            logger.warning("ascension \(ascension): the temporary adapter \(name) could not be unregistered: \(error)")
        }
        try? store.update(ascension, .init(served: ["adapter_removed": .bool(true)]))
    }

    /// Serves again, in this process, the models of the ascensions that wait for the Architect or
    /// were applied (each a4ps runs its own embedded server, which forgets its preset when it
    /// stops); run before the strategic loop names its adapters, which may have these as bases.
    /// Marks ascensions whose process died while they ran as failed. Starts no server.
    public func restore() async throws {
        for ended in try store.recover() {
            logger.warning("ascension \(ended.id) of \(ended.persona) lost its process: \(ended.reason ?? "")")
        }
        guard let server = models.embeddedServer else { return }
        for record in try store.live() {
            guard let file = record.served["file"]?.stringValue, let model = record.served["model"]?.stringValue,
                  models.backend(for: record.persona) is EmbeddedBackend, !server.servesModel(model) else { continue }
            guard FileManager.default.fileExists(atPath: file) else {
                logger.warning("ascension \(record.id): the model file \(file) of \(model) is gone; \(record.persona) cannot think with it here")
                continue
            }
            do {
                try await server.register(model: file, as: model)
            } catch {
                logger.warning("ascension \(record.id): the embedded server does not serve \(model) again: \(error)")
            }
        }
    }
}
