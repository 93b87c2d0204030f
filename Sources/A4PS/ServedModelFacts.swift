import Foundation
import Inference
import LivingImage

/// The facts the governor needs about a model (``ModelFacts``), as a persona's model server and
/// the strategic loop's registered adapters know them: the model's family and size from the
/// server's list (Ollama's `/api/tags`, the embedded router's models, a vLLM server's
/// `/v1/models` with a LoRA's `parent`), the VRAM budget from config.toml (`[scheduler] vram_gb`,
/// or the server's own `vram_gb`). A fine-tuned adapter the server does not list answers its base
/// model's facts. The ``Runtime`` gives it to the image (``Image/useModelFacts(_:)``).
public struct ServedModelFacts: ModelFactsResolver {
    let models: ModelManager
    let config: A4PSConfig
    let adapters: FinetuneJobStore
    /// How many adapter-on-adapter steps are followed to a base model.
    static let maxBaseSteps = 8

    public init(models: ModelManager, config: A4PSConfig, adapters: FinetuneJobStore) {
        self.models = models
        self.config = config
        self.adapters = adapters
    }

    public func facts(about model: String, for persona: String) async -> ModelLookup {
        let backend = models.backend(for: persona)
        let budget = budgetBytes(for: persona)
        let listed: [ModelInfo]
        do {
            listed = try await backend.listModels()
        } catch {
            return .unknown(reason: "\(backend.displayName) could not list its models: \(error)")
        }
        let registered = ((try? adapters.adapters()) ?? []).reduce(into: [String: LoRAAdapter]()) { $0[$1.name] = $1.adapter }
        var name = model
        var path: [String] = []
        // The adapters on the way to the base model add their files' sizes to its own.
        var adapterBytes: Int64 = 0
        for _ in 0..<Self.maxBaseSteps {
            let info = listed.first { Self.sameModel($0.name, name) }
            if let info, let size = info.sizeBytes {
                return .known(ModelFacts(model: model, baseModel: name == model ? nil : name, family: info.family, sizeBytes: size + adapterBytes,
                                         budgetBytes: budget, server: backend.displayName))
            }
            if let adapter = registered[name], adapter.baseModel != name {
                path.append(name)
                adapterBytes += Self.fileSize(adapter.ggufPath)
                name = adapter.baseModel
                continue
            }
            if let parent = info?.parent, parent != name {
                path.append(name)
                name = parent
                continue
            }
            if let info {
                // Listed, but its server does not report sizes (a vLLM server serves what it loaded itself).
                return .known(ModelFacts(model: model, baseModel: name == model ? nil : name, family: info.family, sizeBytes: nil,
                                         budgetBytes: budget, server: backend.displayName))
            }
            if let embedded = backend as? EmbeddedBackend, !embedded.server.servesAdapter(name), name != LocalModelInstall.chatModel {
                // The embedded server thinks with its chat model under any name it has no model of.
                path.append(name)
                name = LocalModelInstall.chatModel
                continue
            }
            let via = path.isEmpty ? "" : " (reached from \(path.joined(separator: " → ")))"
            return .unknown(reason: "\(backend.displayName) does not have \(name)\(via), and no registered adapter is named so")
        }
        return .unknown(reason: "\(model) is an adapter on an adapter more than \(Self.maxBaseSteps) deep: \(path.joined(separator: " → "))")
    }

    /// The size of a file, 0 when it cannot be read.
    static func fileSize(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.size]) as? NSNumber)?.int64Value ?? 0
    }

    /// The VRAM budget of the server `persona` thinks on: its backend's own `vram_gb`, else `[scheduler] vram_gb`.
    func budgetBytes(for persona: String) -> Int64 {
        let backend = (try? config.route(for: persona).backend) ?? config.backends[config.inference.defaultBackend]
        return Int64(((backend?.vramGB ?? config.scheduler.vramGB) * 1e9).rounded())
    }

    /// Whether a listed name is the name asked for (Ollama lists an untagged model as `NAME:latest`).
    static func sameModel(_ listed: String, _ asked: String) -> Bool {
        listed == asked || listed == asked + ":latest" || asked == listed + ":latest"
    }
}
