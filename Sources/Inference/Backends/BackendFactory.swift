import AsyncHTTPClient
import NIOCore

/// Builds backends from configuration, and the `HTTPClient` they share.
public enum BackendFactory {
    /// A backend for `[backends.NAME]` settings, using the caller's client; an embedded backend
    /// runs `embedded` (one shared server for every embedded backend of a process).
    public static func make(_ settings: BackendSettings, httpClient: HTTPClient, inference: InferenceSettings = InferenceSettings(),
                            embedded: EmbeddedModelServer? = nil) -> any ModelBackend {
        if settings.isEmbedded {
            return EmbeddedBackend(server: embedded ?? EmbeddedModelServer(install: .locate()), httpClient: httpClient,
                                   timeouts: inference.timeouts, retry: inference.retryPolicy)
        }
        switch settings.kind {
        case .ollama:
            return OllamaBackend(baseURL: settings.host, httpClient: httpClient, timeouts: inference.timeouts, retry: inference.retryPolicy)
        case .openai:
            return OpenAICompatibleBackend(baseURL: settings.host, apiKey: settings.apiKey, httpClient: httpClient,
                                    timeouts: inference.timeouts, retry: inference.retryPolicy)
        }
    }

    /// A new `HTTPClient` configured for model servers; the caller owns it and must
    /// `try await client.shutdown()` when done.
    ///
    /// Connection attempts are not retried inside the client (the model layer retries with its
    /// own backoff and reports "not reachable" clearly), and reads have no client-level timeout
    /// (the model layer enforces first-token and idle timeouts per call).
    ///
    /// The connect timeout also bounds how long a request waits for a free connection in the
    /// client's pool (AsyncHTTPClient), so the pool must never make a call wait: model calls are
    /// long (a streamed answer holds its connection for seconds), and a ninth concurrent call to
    /// one server under the default limit of 8 would fail as "not reachable" on a busy machine.
    /// The model server queues the calls itself; the VRAM scheduler decides what runs.
    public static let maxConnectionsPerServer = 256

    public static func makeHTTPClient(connectTimeoutSeconds: Double = 5) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(Int64(connectTimeoutSeconds * 1000)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = maxConnectionsPerServer
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
