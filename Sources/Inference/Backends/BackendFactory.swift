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
    public static func makeHTTPClient(connectTimeoutSeconds: Double = 5) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .milliseconds(Int64(connectTimeoutSeconds * 1000)))
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}
