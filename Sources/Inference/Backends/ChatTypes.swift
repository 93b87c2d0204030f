/// One message of a conversation sent to a model.
public struct ChatMessage: Sendable, Hashable {
    /// Who speaks.
    public enum Role: String, Sendable, Hashable {
        case system, user, assistant, tool
    }

    public var role: Role
    public var content: String

    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }

    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }

    var jsonValue: JSONValue { ["role": .string(role.rawValue), "content": .string(content)] }
}

/// Sampling options for one call (Ollama `options`; the OpenAI fields of the same meaning).
public struct GenerationOptions: Sendable, Hashable {
    public var temperature: Double?
    public var topP: Double?
    public var topK: Int?
    /// Context window (Ollama `num_ctx`).
    public var contextLength: Int?
    /// Most tokens to generate (Ollama `num_predict`, OpenAI `max_tokens`).
    public var maxTokens: Int?
    public var seed: Int?
    public var stop: [String]?

    public init(
        temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil, contextLength: Int? = nil,
        maxTokens: Int? = nil, seed: Int? = nil, stop: [String]? = nil
    ) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.contextLength = contextLength
        self.maxTokens = maxTokens
        self.seed = seed
        self.stop = stop
    }

    var isEmpty: Bool { self == GenerationOptions() }
}

/// The shape a structured answer must have.
public enum ResponseFormat: Sendable, Hashable {
    /// Any JSON value.
    case json
    /// JSON matching this JSON Schema.
    case schema(JSONValue)
}

/// One call to a chat model.
public struct ChatRequest: Sendable, Hashable {
    public var model: String
    public var messages: [ChatMessage]
    public var options: GenerationOptions
    public var format: ResponseFormat?
    /// How long the server keeps the model loaded afterwards (Ollama only; nil = the server's default).
    public var keepAlive: KeepAlive?

    public init(
        model: String, messages: [ChatMessage], options: GenerationOptions = GenerationOptions(),
        format: ResponseFormat? = nil, keepAlive: KeepAlive? = nil
    ) {
        self.model = model
        self.messages = messages
        self.options = options
        self.format = format
        self.keepAlive = keepAlive
    }
}

/// Token counts and timings a server reports at the end of an answer.
public struct TokenUsage: Sendable, Hashable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// Time spent loading the model for this call (Ollama `load_duration`).
    public var loadDuration: Duration?
    /// Time spent generating (Ollama `eval_duration`).
    public var evalDuration: Duration?
    /// Wall time of the whole call as the server measured it (Ollama `total_duration`).
    public var totalDuration: Duration?

    public init(promptTokens: Int = 0, completionTokens: Int = 0, loadDuration: Duration? = nil,
                evalDuration: Duration? = nil, totalDuration: Duration? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.loadDuration = loadDuration
        self.evalDuration = evalDuration
        self.totalDuration = totalDuration
    }

    /// Generated tokens per second (`eval_count / eval_duration`), when the server reported both.
    public var tokensPerSecond: Double? {
        guard let evalDuration, evalDuration > .zero else { return nil }
        return Double(completionTokens) / evalDuration.seconds
    }
}

/// One piece of a streamed answer.
public struct ChatChunk: Sendable, Hashable {
    /// The new text (may be empty, e.g. on the final chunk).
    public var content: String
    /// Whether this is the last chunk.
    public var done: Bool
    /// Why generation stopped (`stop`, `length`, Ollama's `load`/`unload`); Ollama sends it on the
    /// last chunk, OpenAI-compatible servers on the chunk before their usage chunk.
    public var doneReason: String?
    /// Counts and timings, near the end when the server reports them.
    public var usage: TokenUsage?

    public init(content: String, done: Bool = false, doneReason: String? = nil, usage: TokenUsage? = nil) {
        self.content = content
        self.done = done
        self.doneReason = doneReason
        self.usage = usage
    }
}

/// A whole answer.
public struct ChatResponse: Sendable, Hashable {
    public var model: String
    public var content: String
    public var doneReason: String?
    public var usage: TokenUsage?
}

extension AsyncThrowingStream where Element == ChatChunk, Failure == any Error {
    /// Reads the stream to its end and joins the chunks into one answer.
    public func collect(model: String) async throws -> ChatResponse {
        var text = ""
        var reason: String?
        var usage: TokenUsage?
        for try await chunk in self {
            text += chunk.content
            if let doneReason = chunk.doneReason { reason = doneReason }
            if let chunkUsage = chunk.usage { usage = chunkUsage }
        }
        return ChatResponse(model: model, content: text, doneReason: reason, usage: usage)
    }
}
