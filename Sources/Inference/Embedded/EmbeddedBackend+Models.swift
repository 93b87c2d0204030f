import Foundation

/// Base models beside the chat model on the embedded server (``EmbeddedModelServer/register(model:as:)``),
/// registered, loaded and thought with by their own names — the way the philosophical loop tries
/// a candidate (Gemma 3 270M from the models directory, a merged GGUF anywhere).
extension EmbeddedBackend {
    /// Serves the GGUF under `name`, starts the server when needed, has the router load it and
    /// waits until it has. A model process that cannot load it (not a model, corrupt, an
    /// architecture this llama.cpp does not know) fails with llama.cpp's reason, and the name is
    /// served no more. Answers how long the load took.
    ///
    /// Throws ``EmbeddedServerError`` (`.invalidModel`, `.modelNameTaken`, `.reloadFailed`,
    /// `.modelRejected`) or the ``InferenceError`` of a server that cannot be reached.
    @discardableResult
    public func register(model path: String, as name: String) async throws -> LoadReport {
        _ = try await backend()
        let logged = server.logLength()
        let known = server.servesModel(name)
        try await server.register(model: path, as: name)
        do {
            return try await load(model: name, keepAlive: .forever)
        } catch {
            let reasons = server.modelFailures(since: logged).suffix(4)
            if !known { try? await unregister(model: name) }
            throw EmbeddedServerError(.modelRejected, "llama-server could not load \(path) as \(name): "
                + (reasons.isEmpty ? "\(error)" : reasons.joined(separator: " | ")) + " — see \(server.logPath)")
        }
    }

    /// Unloads the model's process and stops serving it; the file stays.
    public func unregister(model name: String) async throws {
        if try await routerModels().contains(where: { $0.name == name && ($0.status == "loaded" || $0.status == "loading") }) {
            try? await unload(model: name)
        }
        try await server.unregister(model: name)
    }
}
