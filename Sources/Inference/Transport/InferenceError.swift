/// A model call that failed, with a message that says what happened and what to do about it.
///
/// Match on ``code`` (`catch let error as InferenceError where error.code == .modelNotFound`);
/// show ``description`` to people.
public struct InferenceError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: Sendable, Hashable {
        /// No connection could be made to the server (after retrying with backoff).
        case unreachable
        /// The server does not have the model (Ollama: not pulled).
        case modelNotFound
        /// The server answered with an HTTP error status.
        case httpStatus
        /// The server reported an error inside a stream that had started (an `error` line).
        case streamError
        /// The server sent something that is not the protocol's JSON.
        case malformedResponse
        /// The server did not answer (or stopped answering) in time.
        case timeout
        /// The connection broke after part of the answer had been delivered; not retried.
        case interrupted
        /// A structured answer did not match its JSON Schema, even after one retry.
        case schemaValidationFailed
        /// The backend cannot do this (e.g. pulling models on an OpenAI-compatible server).
        case unsupported
        /// A persona or role has no model binding.
        case unknownPersona
        /// The call was cancelled by its caller.
        case cancelled
    }

    public let code: Code
    /// The full message for people, naming the fix.
    public let message: String
    /// The server's base URL, when the failure concerns one.
    public var url: String?
    /// The model concerned, when known.
    public var model: String?
    /// The HTTP status, for `.httpStatus` and `.modelNotFound`.
    public var status: Int?
    /// How many content chunks had been delivered before the failure.
    public var chunksDelivered: Int = 0
    /// For `.schemaValidationFailed`: what did not match.
    public var violations: [JSONSchemaValidator.Violation] = []
    /// For `.schemaValidationFailed` and `.malformedResponse`: the text that was rejected.
    public var rejectedText: String?
    /// For `.httpStatus`, `.modelNotFound` and `.streamError`: the server's own words.
    public var serverMessage: String?

    public init(_ code: Code, _ message: String, url: String? = nil, model: String? = nil, status: Int? = nil) {
        self.code = code
        self.message = message
        self.url = url
        self.model = model
        self.status = status
    }

    public var description: String { message }

    /// Whether the failure may be retried safely when nothing has been delivered yet.
    var isRetryableBeforeFirstToken: Bool {
        switch code {
        case .unreachable: true
        case .httpStatus: status.map { [429, 502, 503, 504].contains($0) } ?? false
        default: false
        }
    }
}

extension InferenceError {
    static func unreachable(kind: BackendKind, url: String, attempts: Int, underlying: String) -> InferenceError {
        let tries = attempts > 1 ? " (tried \(attempts) times; \(underlying))" : " (\(underlying))"
        switch kind {
        case .ollama:
            return InferenceError(.unreachable,
                "Ollama is not reachable at \(url) — start it with `ollama serve`, or point OLLAMA_HOST / [backends] host in config.toml at the right server\(tries)",
                url: url)
        case .openai:
            return InferenceError(.unreachable,
                "The OpenAI-compatible server is not reachable at \(url) — start it (vLLM: `vllm serve MODEL`) or fix its host in [backends] of config.toml\(tries)",
                url: url)
        }
    }

    static func modelNotFound(kind: BackendKind, url: String, model: String, status: Int, serverMessage: String) -> InferenceError {
        switch kind {
        case .ollama:
            var error = InferenceError(.modelNotFound,
                "Model '\(model)' is not pulled on the Ollama server at \(url) — run `ollama pull \(model)` (or `a4ps models pull`); the server said: \(serverMessage)",
                url: url, model: model, status: status)
            error.serverMessage = serverMessage
            return error
        case .openai:
            var error = InferenceError(.modelNotFound,
                "Model '\(model)' is not served by the OpenAI-compatible server at \(url) — start the server with it (vLLM: `vllm serve \(model)`) or load its LoRA; the server said: \(serverMessage)",
                url: url, model: model, status: status)
            error.serverMessage = serverMessage
            return error
        }
    }

    static func httpStatus(url: String, path: String, model: String?, status: Int, serverMessage: String) -> InferenceError {
        let hint: String
        switch status {
        case 400: hint = "the request was rejected; check the model's options and the schema"
        case 401, 403: hint = "set a valid api_key for this backend in config.toml"
        case 429, 503: hint = "the server is busy; try again later or lower the load"
        default: hint = "see the server's log"
        }
        var error = InferenceError(.httpStatus,
            "The model server at \(url) answered HTTP \(status) to \(path)\(model.map { " for '\($0)'" } ?? ""): \(serverMessage) — \(hint)",
            url: url, model: model, status: status)
        error.serverMessage = serverMessage
        return error
    }

    static func streamError(url: String, model: String?, chunks: Int, serverMessage: String) -> InferenceError {
        var error = InferenceError(.streamError,
            "The model server at \(url) reported an error in the middle of the answer\(model.map { " of '\($0)'" } ?? "") after \(chunks) chunk(s): \(serverMessage) — see the server's log; the partial answer was discarded",
            url: url, model: model)
        error.chunksDelivered = chunks
        error.serverMessage = serverMessage
        return error
    }

    static func malformed(url: String, model: String?, line: String, reason: String) -> InferenceError {
        let shown = line.count > 200 ? String(line.prefix(200)) + "…" : line
        var error = InferenceError(.malformedResponse,
            "The model server at \(url) sent a reply that is not valid protocol JSON (\(reason)): '\(shown)' — check that this host runs Ollama or an OpenAI-compatible server, and its version",
            url: url, model: model)
        error.rejectedText = line
        return error
    }

    static func timeout(url: String, model: String?, phase: String, seconds: Double, setting: String) -> InferenceError {
        let amount = seconds.rounded() == seconds ? "\(Int(seconds))" : "\(seconds)"
        return InferenceError(.timeout,
            "No \(phase) from \(model.map { "'\($0)' at " } ?? "")\(url) within \(amount)s — the server may be overloaded or still loading the model; check it, or raise [inference] \(setting) in config.toml",
            url: url, model: model)
    }

    static func interrupted(url: String, model: String?, chunks: Int, underlying: String) -> InferenceError {
        var error = InferenceError(.interrupted,
            "The connection to \(url) broke after \(chunks) chunk(s) of \(model.map { "'\($0)'" } ?? "the answer") had been delivered (\(underlying)); it was not retried because part of the answer was already shown — ask again",
            url: url, model: model)
        error.chunksDelivered = chunks
        return error
    }

    static func incomplete(url: String, model: String?, chunks: Int) -> InferenceError {
        var error = InferenceError(.interrupted,
            "The stream from \(url)\(model.map { " for '\($0)'" } ?? "") ended after \(chunks) chunk(s) without its final message — the server stopped early; check its log and ask again",
            url: url, model: model)
        error.chunksDelivered = chunks
        return error
    }
}
