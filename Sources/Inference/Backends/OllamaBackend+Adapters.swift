import Foundation

/// A fine-tuned mind on Ollama: the adapter GGUF is uploaded as a blob (`/api/blobs`), a model of
/// its own is created from the base with it (`/api/create` with `adapters`) under a versioned name
/// (`brick-golden-3`), checked to carry the adapter (`/api/show`) and loaded.
///
/// Ollama 0.34.1 and later are reported to refuse creating adapter models (ollama/ollama#14969;
/// its CLI rejects `ADAPTER`, whether `/api/create` does is unconfirmed): such a server is still
/// asked, and a refusal — in its words, by its version, or an adapter silently left out — fails
/// with ``AdapterServingError/Code/creationRefused`` and the ways around it.
extension OllamaBackend: AdapterServing {
    /// The first Ollama version reported to refuse creating models with adapters.
    public static let adapterCreationRemovedIn = "0.34.1"

    /// Registers the adapter's GGUF (the PEFT directory is not used by Ollama).
    public func register(adapter: LoRAAdapter, as name: String) async throws -> AdapterRegistration {
        try await register(adapter: adapter, as: name, system: nil)
    }

    /// Uploads the adapter GGUF unless the server has it, creates `name` from the adapter's base
    /// with it (and `system` as its system prompt, when given), checks that the model carries the
    /// adapter and loads it. Registering the same adapter under the same name again only loads it.
    ///
    /// Throws ``AdapterServingError`` (`.unreadableAdapter`, `.creationRefused`, `.nameTaken`,
    /// `.rejected`) or the ``InferenceError`` of a server that cannot be reached.
    public func register(adapter: LoRAAdapter, as name: String, system: String?) async throws -> AdapterRegistration {
        let start = ContinuousClock.now
        let version = try await self.version()
        let blob: FileBlob
        do {
            blob = try await FileBlob.hashing(path: adapter.ggufPath)
        } catch {
            throw AdapterServingError(.unreadableAdapter,
                "Cannot read the adapter GGUF \(adapter.ggufPath) (\(error.localizedDescription)) — check the path the fine-tune job wrote")
        }
        if try await !hasAdapterModel(name, digest: blob.digest) {
            try await pushBlob(blob)
            try await create(name, adapter: adapter, blob: blob, system: system, version: version)
            try await checkCarriesAdapter(name, adapter: adapter, version: version)
        }
        let load: LoadReport
        do {
            load = try await self.load(model: name, keepAlive: .duration(seconds: 300))
        } catch let error as InferenceError where error.serverMessage != nil {
            try? await deleteModel(name)
            throw AdapterServingError(.rejected,
                "Ollama at \(baseURL) created \(name) but cannot load it: \(error.serverMessage ?? "") — the adapter \(adapter.ggufPath) "
                + "must be trained on \(adapter.baseModel) (the same weights Ollama serves as \(adapter.baseModel)); the model was deleted",
                serverMessage: error.serverMessage)
        }
        return AdapterRegistration(name: name, adapterPath: adapter.ggufPath, loadDuration: load.duration,
                                   duration: ContinuousClock.now - start)
    }

    /// Unloads and deletes the adapter's model (`DELETE /api/delete`); the blob and the adapter file stay.
    public func unregister(adapter name: String) async throws {
        try? await unload(model: name)
        do {
            try await deleteModel(name)
        } catch let error as InferenceError where error.status == 404 {
            throw AdapterServingError(.unknownAdapter, "Ollama at \(baseURL) has no model \(name) to unregister: \(error.serverMessage ?? "not found")",
                                      serverMessage: error.serverMessage)
        }
    }

    // MARK: Blobs

    /// Whether the server has a blob (`HEAD /api/blobs/sha256:<hex>`).
    public func blobExists(digest: String) async throws -> Bool {
        let status = try await transport.status(.HEAD, "/api/blobs/\(digest)")
        switch status {
        case 200: return true
        case 404: return false
        default:
            throw InferenceError.httpStatus(url: baseURL, path: "/api/blobs/\(digest)", model: nil, status: status, serverMessage: "unexpected status for HEAD")
        }
    }

    /// Uploads bytes as a blob unless the server has it already; returns its digest `sha256:<hex>`.
    @discardableResult
    public func pushBlob(_ bytes: [UInt8]) async throws -> String {
        let digest = FileBlob.digest(of: bytes)
        if try await blobExists(digest: digest) { return digest }
        _ = try await transport.data(.POST, "/api/blobs/\(digest)", body: bytes, model: nil, contentType: "application/octet-stream")
        return digest
    }

    /// Uploads a file as a blob, streamed, unless the server has it already.
    func pushBlob(_ file: FileBlob) async throws {
        if try await blobExists(digest: file.digest) { return }
        _ = try await transport.upload("/api/blobs/\(file.digest)", file: file)
    }

    // MARK: Create

    /// Creates a model (`POST /api/create`), e.g. a base model plus a GGUF LoRA adapter blob.
    public func createModel(name: String, from base: String, adapters: [String: String] = [:], system: String? = nil,
                            parameters: [String: JSONValue] = [:]) -> AsyncThrowingStream<PullProgress, any Error> {
        var body: [String: JSONValue] = ["model": .string(name), "from": .string(base), "stream": true]
        if !adapters.isEmpty { body["adapters"] = .object(adapters.mapValues(JSONValue.string)) }
        if let system { body["system"] = .string(system) }
        if !parameters.isEmpty { body["parameters"] = .object(parameters) }
        return progressStream("/api/create", body: .object(body), model: base)
    }

    /// The model's Modelfile as Ollama reports it (`POST /api/show`); it has an `ADAPTER` line for each adapter.
    public func modelfile(of model: String) async throws -> String {
        let json = try await transport.json(.POST, "/api/show", body: ["model": .string(model)], model: model)
        return json["modelfile"]?.stringValue ?? ""
    }

    /// Creates `name` from the base with the uploaded adapter, reading every status line.
    private func create(_ name: String, adapter: LoRAAdapter, blob: FileBlob, system: String?, version: String) async throws {
        let file = URL(fileURLWithPath: adapter.ggufPath).lastPathComponent
        do {
            var succeeded = false
            for try await progress in createModel(name: name, from: adapter.baseModel, adapters: [file: blob.digest], system: system) {
                succeeded = progress.isSuccess
            }
            guard succeeded else { throw InferenceError.incomplete(url: baseURL, model: name, chunks: 0) }
        } catch let error as InferenceError where error.serverMessage != nil {
            let said = error.serverMessage ?? ""
            if Self.refusesAdapterCreation(version: version) || Self.soundsLikeAdapterRefusal(said) {
                throw creationRefused(name, adapter: adapter, version: version, why: "it answered: \(said)", serverMessage: said)
            }
            throw AdapterServingError(.rejected,
                "Ollama \(version) at \(baseURL) would not create \(name) from \(adapter.baseModel) with the adapter \(file): \(said) — "
                + "check that \(adapter.baseModel) is pulled (`ollama pull \(adapter.baseModel)`) and that the adapter was trained on it",
                serverMessage: said)
        }
    }

    /// Fails (and deletes the model) when the server created `name` without the adapter.
    private func checkCarriesAdapter(_ name: String, adapter: LoRAAdapter, version: String) async throws {
        guard Self.adapterLines(in: try await modelfile(of: name)).isEmpty else { return }
        try? await deleteModel(name)
        throw creationRefused(name, adapter: adapter, version: version,
                              why: "it created \(name) without the adapter (its Modelfile has no ADAPTER line); the model was deleted",
                              serverMessage: nil)
    }

    /// Whether `name` already exists: false when it does not, true when it carries the same
    /// adapter blob (a registration done before); a different model of that name is an error,
    /// because a new fine-tune always gets a new name.
    private func hasAdapterModel(_ name: String, digest: String) async throws -> Bool {
        let names = Set(try await listModels().map(\.name))
        guard names.contains(name) || (!name.contains(":") && names.contains(name + ":latest")) else { return false }
        let hex = digest.replacingOccurrences(of: "sha256:", with: "")
        if Self.adapterLines(in: try await modelfile(of: name)).contains(where: { $0.contains(hex) }) { return true }
        throw AdapterServingError(.nameTaken,
            "Ollama at \(baseURL) already has a model \(name) that is not this adapter — register the adapter under a new versioned name, "
            + "or unregister \(name) first")
    }

    private func creationRefused(_ name: String, adapter: LoRAAdapter, version: String, why: String, serverMessage: String?) -> AdapterServingError {
        AdapterServingError(.creationRefused,
            "Ollama \(version) at \(baseURL) does not create models with LoRA adapters (versions from \(Self.adapterCreationRemovedIn) "
            + "are reported to refuse them): \(why). To serve \(name): merge the adapter into the base GGUF with llama.cpp "
            + "(`llama-export-lora -m BASE.gguf --lora \(adapter.ggufPath) -o merged.gguf`) and create the model from the merged "
            + "file (a Modelfile `FROM ./merged.gguf`, `ollama create \(name) -f Modelfile`); or serve the persona from the embedded "
            + "server or vLLM; or use an Ollama older than \(Self.adapterCreationRemovedIn)",
            serverMessage: serverMessage)
    }

    // MARK: Reading the server

    /// The `ADAPTER` lines of a Modelfile.
    static func adapterLines(in modelfile: String) -> [Substring] {
        modelfile.split(whereSeparator: \.isNewline).filter { $0.uppercased().hasPrefix("ADAPTER ") }
    }

    /// Whether the version is one reported to refuse creating adapter models (`0.34.1`,
    /// `0.35.0-rc1`); unparseable and development (`0.0.0`) versions are assumed not to.
    public static func refusesAdapterCreation(version: String) -> Bool {
        guard let have = numericVersion(version), let removed = numericVersion(adapterCreationRemovedIn) else { return false }
        return have.lexicographicallyPrecedes(removed) == false
    }

    static func numericVersion(_ text: String) -> [Int]? {
        let core = text.drop { $0 == "v" }.prefix { $0 != "-" && $0 != "+" && $0 != " " }
        let parts = core.split(separator: ".").map { Int($0) }
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.compactMap { $0 } + Array(repeating: 0, count: 3 - parts.count)
    }

    /// Whether an error says adapters are not accepted at all (rather than that this one is wrong).
    static func soundsLikeAdapterRefusal(_ message: String) -> Bool {
        let text = message.lowercased()
        guard text.contains("adapter") else { return false }
        return ["not supported", "no longer", "removed", "deprecated", "not allowed"].contains { text.contains($0) }
    }
}
