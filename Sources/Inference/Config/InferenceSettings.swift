/// `[inference]`: timeouts and retries for every model call.
public struct InferenceSettings: Sendable, Hashable {
    /// `default_backend` — the backend personas use unless `[personas.NAME] backend` says otherwise. Default `ollama`.
    public var defaultBackend = "ollama"
    /// `connect_timeout_seconds` — how long to wait for a TCP connection. Default 5.
    public var connectTimeoutSeconds = 5.0
    /// `first_token_timeout_seconds` — how long to wait for the server's answer to start (includes loading the model). Default 300.
    public var firstTokenTimeoutSeconds = 300.0
    /// `idle_timeout_seconds` — the longest silence allowed between two streamed chunks. Default 120.
    public var idleTimeoutSeconds = 120.0
    /// `retries` — how often a call is retried when the connection fails before the first token. Default 3.
    public var retries = 3
    /// `retry_delay_ms` — the first backoff delay; it doubles on each retry. Default 250.
    public var retryDelayMilliseconds = 250
    /// `embed_batch_size` — how many texts one embedding request carries. Default 64.
    public var embedBatchSize = 64

    public init() {}

    /// The timeouts as a value the transports take.
    public var timeouts: RequestTimeouts {
        RequestTimeouts(
            firstByte: .milliseconds(Int64(firstTokenTimeoutSeconds * 1000)),
            idle: .milliseconds(Int64(idleTimeoutSeconds * 1000))
        )
    }

    /// The retry policy as a value the transports take.
    public var retryPolicy: RetryPolicy {
        RetryPolicy(maxRetries: retries, baseDelay: .milliseconds(Int64(retryDelayMilliseconds)))
    }
}
