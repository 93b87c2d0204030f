import Foundation

/// Base models beside the chat model: a GGUF registered under a name of its own gets a section of
/// the router's preset (the file, the chat model's slots), so a persona — or a clone of one — can
/// think with it by that name. The philosophical loop tries candidates this way (Gemma 3 270M, a
/// merged GGUF), and a persona that ascended to one stays bound to it.
extension EmbeddedModelServer {
    /// The served base models: served name → GGUF file.
    public nonisolated var models: [String: String] { modelTable.withLock { $0 } }

    /// Whether `name` is a served base model registered with ``register(model:as:)``.
    public nonisolated func servesModel(_ name: String) -> Bool { modelTable.withLock { $0[name] != nil } }

    /// The GGUF file served under `name`: the chat or embedding model, a registered base model, or
    /// an adapter's base; nil for a name the server does not serve as itself.
    public nonisolated func file(servedAs name: String) -> String? {
        switch name {
        case LocalModelInstall.chatModel: install.chatModelFile
        case LocalModelInstall.embeddingModel: install.embeddingModelFile
        default: modelTable.withLock { $0[name] } ?? adapterBase(name)
        }
    }

    /// Adds the GGUF under `name` to the preset and, when the server runs, has the router re-read
    /// it; loading is the caller's (``EmbeddedBackend/register(model:as:)`` loads and waits).
    /// Registering the same file under the same name again does nothing.
    public func register(model path: String, as name: String) async throws(EmbeddedServerError) {
        do {
            try Self.checkAdapterName(name)
        } catch {
            throw EmbeddedServerError(.invalidModel, error.message.replacingOccurrences(of: "adapter", with: "model"))
        }
        guard !servesAdapter(name) else {
            throw EmbeddedServerError(.modelNameTaken, "\(name) is the name of a registered adapter: serve the model under another name")
        }
        let file = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        guard Self.isGGUF(file) else {
            throw EmbeddedServerError(.invalidModel, FileManager.default.isReadableFile(atPath: file)
                ? "\(file) is not a GGUF file: llama-server serves models in GGUF (convert others with llama.cpp's convert_hf_to_gguf.py)"
                : "the model file \(file) does not exist or cannot be read")
        }
        let previous = modelTable.withLock { $0[name] }
        if previous == file { return }
        if let previous {
            throw EmbeddedServerError(.modelNameTaken, "the name \(name) is already served for \(previous): serve \(file) under another name")
        }
        modelTable.withLock { $0[name] = file }
        do {
            try await presetChanged()
        } catch {
            modelTable.withLock { $0[name] = nil }
            try? await presetChanged()
            throw error
        }
    }

    /// Removes a served base model's section; the router unloads its process on the reload. The file stays.
    public func unregister(model name: String) async throws(EmbeddedServerError) {
        guard modelTable.withLock({ $0.removeValue(forKey: name) }) != nil else {
            throw EmbeddedServerError(.unknownModel, "no base model is served as \(name) (served: "
                + "\(models.keys.sorted().joined(separator: ", ")))")
        }
        try await presetChanged()
    }

    /// The lines the server logged since `offset` that say why a model could not be loaded
    /// (llama.cpp's `failed to load model`, `error loading model …`, a GGUF it cannot read).
    public nonisolated func modelFailures(since offset: UInt64) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: logPath) else { return [] }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let text = String(decoding: (try? handle.read(upToCount: 1 << 20)) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").map(String.init).filter {
            $0.contains("failed to load model") || $0.contains("error loading model") || $0.contains("gguf_init")
                || $0.contains("failed to read") || $0.contains("unknown model architecture") || $0.contains("invalid magic")
        }
    }
}
