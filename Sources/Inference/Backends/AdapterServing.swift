/// A fine-tuned LoRA adapter as a trainer leaves it: the GGUF (llama.cpp, Ollama) and the PEFT
/// directory (vLLM) of the same weights, and the base model they were trained on.
public struct LoRAAdapter: Sendable, Hashable {
    /// The GGUF LoRA adapter (`general.type = adapter`).
    public var ggufPath: String
    /// The PEFT adapter directory (`adapter_config.json` + `adapter_model.safetensors`).
    public var peftDirectory: String
    /// The base model as the backend names it (`smollm2`, `brick-model:latest`, a vLLM served name).
    public var baseModel: String

    public init(ggufPath: String, peftDirectory: String, baseModel: String) {
        self.ggufPath = ggufPath
        self.peftDirectory = peftDirectory
        self.baseModel = baseModel
    }
}

/// A backend that can serve a LoRA adapter under a versioned name of its own (`brick-golden-3`),
/// so a persona binds to it like to any model — the embedded llama.cpp router (preset entry),
/// Ollama (`/api/create` with `adapters`) and vLLM (`/v1/load_lora_adapter`).
public protocol AdapterServing: Sendable {
    /// Registers `adapter` under `name` and returns when a request for `name` is served by it.
    /// A server that refuses the adapter fails with its own reason in the error.
    func register(adapter: LoRAAdapter, as name: String) async throws -> AdapterRegistration
    /// Removes `name` from the server (the adapter files stay where they are).
    func unregister(adapter name: String) async throws
}
