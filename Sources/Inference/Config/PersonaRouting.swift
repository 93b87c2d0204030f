/// `[personas.NAME]`: where one persona's (or `embedding`'s) model is served.
public struct PersonaRouting: Sendable, Hashable {
    /// `backend` — a `[backends.NAME]` name. Default: `[inference] default_backend`.
    public var backend: String?
    /// `host` — this persona's own server URL, same kind as its backend (per-persona host). Optional.
    public var host: String?
    /// `adapter` — a fine-tuned variant to use instead of the base model (an Ollama model
    /// created with `adapters`, or a vLLM LoRA name). Optional.
    public var adapter: String?

    public init(backend: String? = nil, host: String? = nil, adapter: String? = nil) {
        self.backend = backend
        self.host = host
        self.adapter = adapter
    }
}
