import Foundation
import Inference
import LivingImage

/// The candidates a persona could ascend to (`a4ps ascend candidates`): the models its model
/// server offers — Ollama's pulled models, the embedded server's served models and the GGUFs in
/// its models directory, a vLLM server's `/v1/models` — plus `[ascension] candidates` of
/// config.toml (what Ollama would pull, GGUF files elsewhere), each with its size as well as it is
/// known before pulling.
public struct AscensionCatalog: Sendable {
    let models: ModelManager
    let settings: AscensionSettings

    public init(models: ModelManager, settings: AscensionSettings) {
        self.models = models
        self.settings = settings
    }

    /// The candidates for `persona` (a lower- or upper-case persona name), the current binding
    /// marked. A server that cannot be asked leaves only the configured candidates, and says why.
    public func candidates(for persona: String, current: String?) async -> (candidates: [AscensionCandidate], problem: String?) {
        let backend = models.backend(for: persona)
        var found: [String: AscensionCandidate] = [:]
        var order: [String] = []
        func add(_ candidate: AscensionCandidate) {
            if var known = found[candidate.name] {
                known.origins = Array(Set(known.origins + candidate.origins)).sorted()
                known.sizeBytes = known.sizeBytes ?? candidate.sizeBytes
                known.sizeSource = known.sizeSource ?? candidate.sizeSource
                known.trainerBase = known.trainerBase ?? candidate.trainerBase
                known.file = known.file ?? candidate.file
                found[candidate.name] = known
            } else {
                order.append(candidate.name)
                found[candidate.name] = candidate
            }
        }
        var problem: String?
        do {
            for candidate in try await offered(by: backend) { add(candidate) }
        } catch {
            problem = "\(backend.displayName) could not be asked for its models: \(error)"
        }
        for configured in settings.candidates { add(self.configured(configured, on: backend, offered: found)) }
        let currentName = current.map { (backend as? EmbeddedBackend)?.servedName($0) ?? $0 }
        return (order.compactMap { name in
            guard var candidate = found[name] else { return nil }
            candidate.isCurrent = name == current || name == currentName
            return candidate
        }, problem)
    }

    /// One candidate by name (or, for the embedded server, by the path of a GGUF file); nil when
    /// neither the server nor the configuration knows it and it cannot be pulled.
    public func resolve(_ name: String, for persona: String) async throws -> AscensionCandidate? {
        let backend = models.backend(for: persona)
        if backend is EmbeddedBackend, name.hasSuffix(".gguf") {
            let served = LocalModelInstall.servedName(ofFile: name)
            return AscensionCandidate(name: served, availability: .file, sizeBytes: LocalModelInstall.fileSize(atPath: name),
                                      sizeSource: "its file", file: name, trainerBase: settings.candidate(named: served)?.trainerBase ?? name,
                                      origins: ["argument"])
        }
        let offered = try await offered(by: backend)
        if let configured = settings.candidate(named: name) {
            let indexed = Dictionary(offered.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            return self.configured(configured, on: backend, offered: indexed)
        }
        if let candidate = offered.first(where: { $0.name == name || $0.name == name + ":latest" }) { return candidate }
        // Ollama pulls what its library has: a name nobody listed is a candidate it may pull (or say does not exist).
        guard backend.kind == .ollama else { return nil }
        let estimate = ModelSizeEstimate.bytes(fromName: name)
        return AscensionCandidate(name: name, availability: .pullable, sizeBytes: estimate?.bytes, sizeSource: estimate?.how,
                                  origins: ["argument"])
    }

    /// What the persona's server offers itself.
    func offered(by backend: any ModelBackend) async throws -> [AscensionCandidate] {
        if let embedded = backend as? EmbeddedBackend {
            let install = embedded.server.install
            var candidates = [AscensionCandidate(name: LocalModelInstall.chatModel, availability: .present,
                                                 sizeBytes: LocalModelInstall.fileSize(atPath: install.chatModelFile), sizeSource: "its file",
                                                 file: install.chatModelFile, trainerBase: install.chatModelFile, origins: ["server"])]
            var seen: Set<String> = [LocalModelInstall.chatModel]
            for (name, file) in embedded.server.models.sorted(by: { $0.key < $1.key }) + install.otherChatModels.map({ ($0.name, $0.file) })
            where seen.insert(name).inserted {
                candidates.append(AscensionCandidate(name: name, availability: embedded.server.servesModel(name) ? .present : .file,
                                                     sizeBytes: LocalModelInstall.fileSize(atPath: file), sizeSource: "its file", file: file,
                                                     trainerBase: file, origins: ["server"]))
            }
            return candidates
        }
        // vLLM lists the LoRA adapters it serves too (with their base as `parent`): they are not base models.
        return try await backend.listModels().filter { $0.parent == nil }.map { model in
            AscensionCandidate(name: model.name, availability: .present, sizeBytes: model.sizeBytes, family: model.family,
                               sizeSource: model.sizeBytes == nil ? nil : "the server", origins: ["server"])
        }
    }

    /// A `[ascension] candidates` entry as the persona's server would see it.
    func configured(_ entry: AscensionSettings.Candidate, on backend: any ModelBackend,
                    offered: [String: AscensionCandidate]) -> AscensionCandidate {
        if var known = offered[entry.name] ?? offered[entry.name + ":latest"] {
            known.origins = Array(Set(known.origins + ["config"])).sorted()
            known.trainerBase = entry.trainerBase ?? known.trainerBase
            if known.sizeBytes == nil, let declared = entry.sizeBytes { (known.sizeBytes, known.sizeSource) = (declared, "declared in config.toml") }
            return known
        }
        var candidate = AscensionCandidate(name: entry.name, availability: .pullable, file: entry.file, trainerBase: entry.trainerBase,
                                           origins: ["config"])
        if backend is EmbeddedBackend {
            candidate.availability = .file
            candidate.trainerBase = entry.trainerBase ?? entry.file
            if let file = entry.file, let size = LocalModelInstall.fileSize(atPath: file) { (candidate.sizeBytes, candidate.sizeSource) = (size, "its file") }
        } else if backend.kind == .openai {
            candidate.availability = .notServed
        }
        if candidate.sizeBytes == nil, let declared = entry.sizeBytes {
            (candidate.sizeBytes, candidate.sizeSource) = (declared, "declared in config.toml")
        } else if candidate.sizeBytes == nil, let estimate = ModelSizeEstimate.bytes(fromName: entry.name) {
            (candidate.sizeBytes, candidate.sizeSource) = (estimate.bytes, estimate.how)
        }
        return candidate
    }
}
