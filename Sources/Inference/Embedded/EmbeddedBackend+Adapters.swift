import Foundation

/// A fine-tuned mind on the embedded server: a LoRA adapter GGUF registered under a versioned name
/// (``EmbeddedModelServer/register(adapter:as:)``), loaded by the router in a model process of its
/// own, and then thought with like any model — `model: "brick-golden-3"`.
extension EmbeddedBackend {
    /// Registers the adapter GGUF under `name`, starts the server when needed, has the router load
    /// it and waits until it has. A model process that cannot load the adapter (a wrong base, a
    /// corrupt file) fails with llama.cpp's reason, and the name is registered no more.
    ///
    /// Throws ``EmbeddedServerError`` (`.invalidAdapter`, `.adapterNameTaken`, `.reloadFailed`,
    /// `.adapterRejected`) or the ``InferenceError`` of a server that cannot be reached.
    public func register(adapter path: String, as name: String, base: String? = nil) async throws -> AdapterRegistration {
        let start = ContinuousClock.now
        _ = try await backend()
        let logged = server.logLength()
        try await server.register(adapter: path, as: name, base: base)
        let load: LoadReport
        do {
            load = try await self.load(model: name, keepAlive: .forever)
        } catch {
            let reasons = server.adapterFailures(since: logged).suffix(4)
            try? await server.unregister(adapter: name)
            guard !reasons.isEmpty else { throw error }
            throw EmbeddedServerError(.adapterRejected, "llama-server could not load the adapter \(path) as \(name): "
                + reasons.joined(separator: " | ") + " — train it on the base it is served with (\(base ?? server.install.chatModelFile))")
        }
        return AdapterRegistration(name: name, adapterPath: path, loadDuration: load.duration,
                                   duration: ContinuousClock.now - start)
    }

    /// Unloads the adapter's model process and removes its name; the adapter file stays.
    public func unregister(adapter name: String) async throws {
        if try await routerModels().contains(where: { $0.name == name && ($0.status == "loaded" || $0.status == "loading") }) {
            try? await unload(model: name)
        }
        try await server.unregister(adapter: name)
    }
}

extension EmbeddedBackend: AdapterServing {
    /// Registers the adapter's GGUF (the PEFT directory is not used by llama.cpp) on the GGUF its
    /// base model is served from (a served base model's file, or the chat model).
    public func register(adapter: LoRAAdapter, as name: String) async throws -> AdapterRegistration {
        try await register(adapter: adapter.ggufPath, as: name, base: server.file(servedAs: adapter.baseModel))
    }
}
