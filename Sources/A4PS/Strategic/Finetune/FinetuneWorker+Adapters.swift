import Foundation
import Inference
import LivingImage

/// The adapters the strategic loop registered, beyond one process's life: the embedded server
/// forgets its preset when it stops, so each a4ps that opens the image names the live adapters to
/// it again (they load on first use); an adapter goes for good only when pruned.
extension FinetuneWorker {
    /// Names the live adapters of personas on the embedded server to it again (no server is
    /// started for it). An adapter whose file is gone is left out, with a warning.
    public func restoreAdapters() async throws {
        guard let server = models.embeddedServer else { return }
        for adapter in try store.adapters() where models.backend(for: adapter.persona) is EmbeddedBackend {
            guard !server.servesAdapter(adapter.name) else { continue }
            guard FileManager.default.fileExists(atPath: adapter.adapter.ggufPath) else {
                logger.warning("the adapter \(adapter.name) of \(adapter.persona) is gone (\(adapter.adapter.ggufPath)): prune it with `a4ps finetune prune \(adapter.name)`")
                continue
            }
            do {
                try await server.register(adapter: adapter.adapter.ggufPath, as: adapter.name, base: server.file(servedAs: adapter.adapter.baseModel))
            } catch {
                logger.warning("the embedded server does not take the adapter \(adapter.name) again: \(error)")
            }
        }
    }

    /// Removes an adapter from its server for good (its files stay in the job's directory). A
    /// persona still bound to it is a refusal: roll the binding back first.
    public func prune(_ name: String) async throws {
        guard let adapter = try store.adapters().first(where: { $0.name == name }) else {
            throw FinetuneError(.noSuchJob, "no live adapter is named \(name) (see `a4ps finetune adapters`)")
        }
        if let bound = image.memory.snapshot().values.first(where: { $0.slots[GovernanceRules.modelSlot]?.stringValue == name }) {
            throw FinetuneError(.busy, "\(bound.name) still thinks with \(name): roll its binding back first (`a4ps image history \(bound.name)`, "
                + "`a4ps image rollback \(bound.name) CHANGE`)")
        }
        if let server = models.adapterServer(for: adapter.persona) {
            try? await server.unregister(adapter: name)
        }
        try store.markPruned(name)
    }
}
