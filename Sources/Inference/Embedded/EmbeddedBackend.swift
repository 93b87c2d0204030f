import AsyncHTTPClient
import Synchronization

/// The embedded mind as a ``ModelBackend``: llama.cpp's server run by a4ps
/// (``EmbeddedModelServer``), started on the first call that needs a model — so that commands
/// which never think never pay for it — and spoken to over its OpenAI-compatible API.
public final class EmbeddedBackend: ModelBackend {
    public let kind = BackendKind.openai
    public let server: EmbeddedModelServer
    private let httpClient: HTTPClient
    private let timeouts: RequestTimeouts
    private let retry: RetryPolicy
    private let started = Mutex<OpenAICompatibleBackend?>(nil)

    public init(server: EmbeddedModelServer, httpClient: HTTPClient, timeouts: RequestTimeouts = RequestTimeouts(),
                retry: RetryPolicy = RetryPolicy()) {
        self.server = server
        self.httpClient = httpClient
        self.timeouts = timeouts
        self.retry = retry
    }

    public var baseURL: String {
        started.withLock { $0?.baseURL } ?? "embedded llama-server (not started yet)"
    }

    /// Its router loads and unloads models on request (`POST /models/load|unload`), so the VRAM
    /// scheduler manages it as it manages Ollama.
    public var managesResidency: Bool { true }

    /// The running server's backend, starting the server first when needed.
    func backend() async throws -> OpenAICompatibleBackend {
        let url: String
        do {
            url = try await server.start()
        } catch {
            throw InferenceError(.unreachable, "the embedded model server could not be used: \(error.message)", url: nil)
        }
        return started.withLock { current in
            if let current, current.baseURL == url { return current }
            let made = OpenAICompatibleBackend(baseURL: url, httpClient: httpClient, timeouts: timeouts, retry: retry)
            current = made
            return made
        }
    }

    public func version() async throws -> String {
        "llama.cpp \(LocalModelInstall.llamaBuild) (embedded)"
    }

    /// The name this server serves a model under: the embedding model, a registered adapter
    /// (``EmbeddedModelServer/register(adapter:as:)``) and a served base model
    /// (``EmbeddedModelServer/register(model:as:)``) as themselves, any other name (a persona bound
    /// to a model the embedded server does not have) as the chat model.
    public func servedName(_ model: String) -> String {
        model == LocalModelInstall.embeddingModel || server.servesAdapter(model) || server.servesModel(model) ? model : LocalModelInstall.chatModel
    }

    /// The request with a model this server has.
    func served(_ request: ChatRequest) -> ChatRequest {
        var request = request
        request.model = servedName(request.model)
        return request
    }

    public func chatStream(_ request: ChatRequest) -> AsyncThrowingStream<ChatChunk, any Error> {
        let request = served(request)
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await chunk in try await backend().chatStream(request) { continuation.yield(chunk) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func chat(_ request: ChatRequest) async throws -> ChatResponse {
        try await backend().chat(served(request))
    }

    public func embed(model: String, inputs: [String], keepAlive: KeepAlive?) async throws -> [[Float]] {
        try await backend().embed(model: model, inputs: inputs, keepAlive: keepAlive)
    }

    public func pull(model: String) -> AsyncThrowingStream<PullProgress, any Error> {
        AsyncThrowingStream { continuation in
            continuation.finish(throwing: InferenceError(.unsupported,
                "the embedded server's models are installed by Scripts/install-local-model, not pulled", url: nil))
        }
    }
}
