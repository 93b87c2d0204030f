import AsyncHTTPClient
import Foundation

/// LoRA adapters as models of their own: llama-server loads adapters only when a model process
/// starts, so each adapter gets a versioned section of the router's preset (the chat model plus
/// `lora = FILE`) and the router re-reads its preset (`GET /models?reload=1`). A new fine-tune is
/// a new name (`brick-golden-4`), never a changed file under an old one: what a persona is bound to
/// never changes under it, and rolling back is binding the old name again.
extension EmbeddedModelServer {
    /// The registered adapters: served name → adapter GGUF file.
    public nonisolated var adapters: [String: String] { adapterTable.withLock { $0 } }

    /// Whether `name` is a registered adapter (the backend serves it as itself, not as the chat model).
    public nonisolated func servesAdapter(_ name: String) -> Bool { adapterTable.withLock { $0[name] != nil } }

    /// Adds the adapter GGUF under `name` to the preset and, when the server runs, has the router
    /// re-read it. Loading is the caller's (``EmbeddedBackend/register(adapter:as:)`` loads and waits).
    /// Registering the same file under the same name again does nothing. `base` is the GGUF the
    /// adapter was trained on (nil: the chat model; an ascended persona's adapters have the base
    /// model it ascended to, ``register(model:as:)``).
    public func register(adapter path: String, as name: String, base: String? = nil) async throws(EmbeddedServerError) {
        try Self.checkAdapterName(name)
        guard !servesModel(name) else {
            throw EmbeddedServerError(.adapterNameTaken, "\(name) is the name of a served base model: give the adapter a versioned name of its own")
        }
        let file = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        try checkAdapterFile(file)
        let previous = adapterTable.withLock { $0[name] }
        if previous == file { return }
        if let previous {
            throw EmbeddedServerError(.adapterNameTaken,
                "the adapter name \(name) is already registered for \(previous): register the new adapter under a new versioned name")
        }
        adapterTable.withLock { $0[name] = file }
        adapterBaseTable.withLock { $0[name] = base }
        do {
            try await presetChanged()
        } catch {
            adapterTable.withLock { $0[name] = nil }
            adapterBaseTable.withLock { $0[name] = nil }
            try? await presetChanged()
            throw error
        }
    }

    /// Removes the adapter's section; the router unloads its model process on the reload. The
    /// adapter file is left where it is (it belongs to the job that made it).
    public func unregister(adapter name: String) async throws(EmbeddedServerError) {
        guard adapterTable.withLock({ $0.removeValue(forKey: name) }) != nil else {
            throw EmbeddedServerError(.unknownAdapter, "no adapter is registered as \(name) (registered: "
                + "\(adapters.keys.sorted().joined(separator: ", ")))")
        }
        adapterBaseTable.withLock { $0[name] = nil }
        try await presetChanged()
    }

    /// The GGUF an adapter was registered on (the chat model's unless ``register(adapter:as:base:)`` said otherwise).
    public nonisolated func adapterBase(_ name: String) -> String? {
        guard servesAdapter(name) else { return nil }
        return adapterBaseTable.withLock { $0[name] } ?? install.chatModelFile
    }

    /// The names a served adapter may have: a preset section name, never one of the base models'.
    static func checkAdapterName(_ name: String) throws(EmbeddedServerError) {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")
        guard !name.isEmpty, name.count <= 128, name.allSatisfy({ allowed.contains($0) }),
              name.first?.isLetter == true || name.first?.isNumber == true else {
            throw EmbeddedServerError(.invalidAdapter,
                "the adapter name \"\(name)\" is not usable: use letters, digits and . _ : - (e.g. brick-golden-3), at most 128")
        }
        guard name != LocalModelInstall.chatModel, name != LocalModelInstall.embeddingModel else {
            throw EmbeddedServerError(.invalidAdapter, "\(name) is a base model's name: give the adapter a versioned name of its own")
        }
    }

    /// An adapter must be a GGUF file outside the models directory (the router counts any `.gguf`
    /// in a models directory as a model of its own).
    private func checkAdapterFile(_ file: String) throws(EmbeddedServerError) {
        let modelsDirectory = URL(fileURLWithPath: install.modelsDirectory).standardizedFileURL.resolvingSymlinksInPath().path + "/"
        guard !file.hasPrefix(modelsDirectory) else {
            throw EmbeddedServerError(.invalidAdapter,
                "the adapter \(file) is inside the models directory \(modelsDirectory), where a model server takes it for a model: keep adapters in the job's output directory")
        }
        guard Self.isGGUF(file) else {
            throw EmbeddedServerError(.invalidAdapter, FileManager.default.isReadableFile(atPath: file)
                ? "\(file) is not a GGUF file: llama.cpp needs the adapter converted with convert_lora_to_gguf.py (the CPU trainer does it)"
                : "the adapter file \(file) does not exist or cannot be read")
        }
    }

    /// Whether `file` is readable and starts with GGUF's magic.
    static func isGGUF(_ file: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: file) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data("GGUF".utf8)
    }

    /// Rewrites the preset file of the running server and has the router re-read it. A server not
    /// started yet writes the adapters into its preset when it starts.
    func presetChanged() async throws(EmbeddedServerError) {
        guard let presetPath, let baseURL, process?.isRunning == true else { return }
        do {
            try preset().write(toFile: presetPath, atomically: true, encoding: .utf8)
        } catch {
            throw EmbeddedServerError(.reloadFailed, "cannot rewrite the models preset \(presetPath): \(error)")
        }
        let client = BackendFactory.makeHTTPClient(connectTimeoutSeconds: 2)
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: baseURL + "/models?reload=1")
        request.method = .GET
        do {
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            guard response.status == .ok else {
                throw EmbeddedServerError(.reloadFailed,
                    "llama-server refused to reload its models preset (HTTP \(response.status.code)): \(String(buffer: body)) — see \(logPath)")
            }
        } catch let error as EmbeddedServerError {
            throw error
        } catch {
            throw EmbeddedServerError(.reloadFailed, "llama-server did not reload its models preset: \(error) — see \(logPath)")
        }
    }

    /// How long the server log is now (where to read ``adapterFailures(since:)`` from).
    public nonisolated func logLength() -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: logPath)[.size]) as? NSNumber)?.uint64Value ?? 0
    }

    /// The lines the server logged since `offset` that say why an adapter could not be loaded
    /// (llama.cpp's `failed to apply lora adapter: …`, `LoRA tensor … does not exist in base model`).
    public nonisolated func adapterFailures(since offset: UInt64) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: logPath) else { return [] }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let text = String(decoding: (try? handle.read(upToCount: 1 << 20)) ?? Data(), as: UTF8.self)
        return text.split(separator: "\n").map(String.init).filter {
            $0.contains("lora adapter") || $0.contains("LoRA tensor") || $0.contains("LoRA arch") || $0.contains("general.type")
        }
    }
}
