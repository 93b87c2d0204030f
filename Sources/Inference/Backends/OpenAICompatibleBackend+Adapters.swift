import AsyncHTTPClient

/// A fine-tuned mind on vLLM: the adapter's PEFT directory — a path on the vLLM server's disk,
/// nothing is uploaded — is loaded at run time under a versioned name (`/v1/load_lora_adapter`),
/// checked in `/v1/models`, and requests select it with `model: name`.
///
/// vLLM has these endpoints only when started with `--enable-lora` and
/// `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`; without them registering fails with
/// ``AdapterServingError/Code/runtimeLoadingDisabled`` and how to start it. Other
/// OpenAI-compatible servers (llama.cpp's, LM Studio) have no such endpoint and fail the same way.
extension OpenAICompatibleBackend: AdapterServing {
    /// Loads the adapter's PEFT directory under `name` and returns once `/v1/models` lists it.
    ///
    /// Throws ``AdapterServingError`` (`.runtimeLoadingDisabled`, `.nameTaken`, `.rejected`,
    /// `.notServed`) or the ``InferenceError`` of a server that cannot be reached.
    public func register(adapter: LoRAAdapter, as name: String) async throws -> AdapterRegistration {
        let start = ContinuousClock.now
        do {
            try await loadLoRA(name: name, path: adapter.peftDirectory)
        } catch let error as InferenceError where error.status != nil {
            throw loadFailure(error, name: name, adapter: adapter)
        }
        let loaded = ContinuousClock.now
        let served = try await listModels().map(\.name)
        guard served.contains(name) else {
            _ = try? await unloadLoRA(name: name)
            throw AdapterServingError(.notServed,
                "The server at \(baseURL) accepted the adapter \(adapter.peftDirectory) as \(name) but /v1/models does not list it "
                + "(it lists: \(served.joined(separator: ", "))); it was unloaded again — check the server's log")
        }
        return AdapterRegistration(name: name, adapterPath: adapter.peftDirectory, loadDuration: loaded - start,
                                   duration: ContinuousClock.now - start)
    }

    /// Unloads the adapter (`/v1/unload_lora_adapter`); its directory stays.
    public func unregister(adapter name: String) async throws {
        do {
            try await unloadLoRA(name: name)
        } catch let error as InferenceError where error.status != nil {
            let said = error.serverMessage ?? ""
            if let disabled = runtimeLoadingDisabled(error) { throw disabled }
            if error.status == 404 {
                throw AdapterServingError(.unknownAdapter, "The server at \(baseURL) has no adapter \(name) to unload: \(said)", serverMessage: said)
            }
            throw error
        }
    }

    // MARK: Endpoints

    /// Loads a LoRA adapter from a PEFT directory on the server's disk (`/v1/load_lora_adapter`);
    /// requests then select it with `model: name`. Returns the server's text answer.
    @discardableResult
    public func loadLoRA(name: String, path: String) async throws -> String {
        let buffer = try await transport.data(.POST, "/v1/load_lora_adapter",
            body: ["lora_name": .string(name), "lora_path": .string(path)].jsonBytes, model: nil)
        return String(buffer: buffer)
    }

    /// Unloads a LoRA adapter (`/v1/unload_lora_adapter`). Returns the server's text answer.
    @discardableResult
    public func unloadLoRA(name: String) async throws -> String {
        let buffer = try await transport.data(.POST, "/v1/unload_lora_adapter", body: ["lora_name": .string(name)].jsonBytes, model: nil)
        return String(buffer: buffer)
    }

    // MARK: Reading refusals

    private func loadFailure(_ error: InferenceError, name: String, adapter: LoRAAdapter) -> AdapterServingError {
        if let disabled = runtimeLoadingDisabled(error) { return disabled }
        let said = error.serverMessage ?? error.message
        if said.contains("already been loaded") {
            return AdapterServingError(.nameTaken,
                "vLLM at \(baseURL) already serves an adapter named \(name) — register the new adapter under a new versioned name, "
                + "or unregister \(name) first", serverMessage: said)
        }
        let hint = error.status == 404
            ? "the PEFT directory must exist on the vLLM server's own disk, with adapter_config.json and the adapter's safetensors"
            : "check that the adapter was trained on the base vLLM serves (\(adapter.baseModel)) and that its rank is at most vLLM's --max-lora-rank (default 16)"
        return AdapterServingError(.rejected,
            "vLLM at \(baseURL) would not load \(adapter.peftDirectory) as \(name) (HTTP \(error.status ?? 0)): \(said) — \(hint)",
            serverMessage: said)
    }

    /// The error for a server that does not load adapters at run time: the endpoint is missing
    /// (a plain 404 that speaks of no adapter), or vLLM says LoRA is not enabled.
    private func runtimeLoadingDisabled(_ error: InferenceError) -> AdapterServingError? {
        let said = error.serverMessage ?? ""
        let lowered = said.lowercased()
        let routeMissing = error.status == 404 && !lowered.contains("adapter") && !lowered.contains("lora")
        let loraOff = lowered.contains("lora") && lowered.contains("not enabled")
        guard routeMissing || loraOff else { return nil }
        let why = routeMissing ? "it has no /v1/load_lora_adapter (HTTP 404: \(said))" : "it said: \(said)"
        return AdapterServingError(.runtimeLoadingDisabled,
            "The server at \(baseURL) does not load LoRA adapters at run time — \(why). vLLM does only when started with "
            + "`--enable-lora` and the environment variable VLLM_ALLOW_RUNTIME_LORA_UPDATING=True: restart it so "
            + "(`VLLM_ALLOW_RUNTIME_LORA_UPDATING=True vllm serve BASE --enable-lora --max-lora-rank 16`), or name the adapter "
            + "at start (`--lora-modules NAME=PEFT_DIR`); other OpenAI-compatible servers cannot load adapters — use the embedded server",
            serverMessage: said)
    }
}
