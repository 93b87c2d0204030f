/// A model server the model layer can talk to: Ollama (``OllamaBackend``) or an
/// OpenAI-compatible server such as vLLM (``OpenAICompatibleBackend``).
///
/// Every call goes through the ``ModelManager`` in the running system; the backends are the
/// protocol layer underneath it. Failures are ``InferenceError``s.
public protocol ModelBackend: Sendable {
    /// The protocol spoken.
    var kind: BackendKind { get }
    /// The server's base URL (`http://127.0.0.1:11434`).
    var baseURL: String { get }
    /// Whether the server loads and unloads models on request, so the VRAM scheduler should manage it.
    var managesResidency: Bool { get }
    /// Whether a request's `keep_alive` unloads the model when the call ends (Ollama); otherwise the
    /// scheduler unloads explicitly when its policy says a model should go.
    var honorsKeepAlive: Bool { get }

    /// The server's version string.
    func version() async throws -> String
    /// Streams an answer chunk by chunk.
    func chatStream(_ request: ChatRequest) -> AsyncThrowingStream<ChatChunk, any Error>
    /// Asks for a whole answer in one response (no streaming).
    func chat(_ request: ChatRequest) async throws -> ChatResponse
    /// Embeds texts (batched by the caller), one vector per text in order.
    func embed(model: String, inputs: [String], keepAlive: KeepAlive?) async throws -> [[Float]]
    /// The models the server has.
    func listModels() async throws -> [ModelInfo]
    /// The models in memory now.
    func runningModels() async throws -> [RunningModel]
    /// Loads a model without generating anything.
    func load(model: String, keepAlive: KeepAlive) async throws -> LoadReport
    /// Unloads a model now.
    func unload(model: String) async throws
    /// Downloads a model, reporting progress.
    func pull(model: String) -> AsyncThrowingStream<PullProgress, any Error>
}

extension ModelBackend {
    /// A short name for messages: `Ollama at URL`, `OpenAI-compatible server at URL`, or the embedded llama.cpp server.
    public var displayName: String {
        switch kind {
        case .ollama: "Ollama at \(baseURL)"
        case .openai: self is EmbeddedBackend ? "the embedded llama.cpp server" : "OpenAI-compatible server at \(baseURL)"
        }
    }
}

extension ModelBackend {
    public var honorsKeepAlive: Bool { kind == .ollama }
}
