/// `[backends.NAME]`: one model server.
public struct BackendSettings: Sendable, Hashable {
    /// The table's name (`NAME` in `[backends.NAME]`).
    public var name: String
    /// `kind` — `ollama` or `openai`.
    public var kind: BackendKind
    /// `host` — base URL. Ollama default: from `OLLAMA_HOST`, else `http://127.0.0.1:11434`.
    /// OpenAI-compatible: required (vLLM listens on port 8000 by default).
    public var host: String
    /// `api_key` — sent as `Authorization: Bearer KEY` (OpenAI-compatible servers). Optional.
    public var apiKey: String?
    /// `vram_gb` — this server's own VRAM budget, overriding `[scheduler] vram_gb`. Optional.
    public var vramGB: Double?
    /// `kind = "embedded"`: llama.cpp's server that a4ps runs itself (``EmbeddedModelServer``),
    /// spoken to with the OpenAI-compatible protocol (``kind`` is `.openai`).
    public var isEmbedded: Bool

    /// The built-in `[backends.embedded]`: the local model a4ps runs itself.
    public static let embedded = BackendSettings(name: "embedded", kind: .openai, host: "embedded", isEmbedded: true)

    public init(name: String, kind: BackendKind, host: String, apiKey: String? = nil, vramGB: Double? = nil, isEmbedded: Bool = false) {
        self.isEmbedded = isEmbedded
        self.name = name
        self.kind = kind
        self.host = host
        self.apiKey = apiKey
        self.vramGB = vramGB
    }
}
