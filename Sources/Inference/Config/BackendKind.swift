/// The protocol a backend speaks.
public enum BackendKind: String, Sendable, Hashable, CaseIterable {
    /// Ollama's native API (`/api/chat`, `/api/embed`, ...).
    case ollama
    /// The OpenAI-compatible API of vLLM, llama.cpp's server, LM Studio (`/v1/...`).
    case openai
}
