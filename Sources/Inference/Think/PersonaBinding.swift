/// Which model a persona thinks with and the system prompt (its codex) that frames every call.
public struct PersonaBinding: Sendable, Hashable {
    /// The persona's name (`brick`); also selects its backend from `[personas.NAME]`.
    public var persona: String
    /// The model; nil means the one in `config.toml` (`[models]`, or `[personas.NAME] adapter`).
    public var model: String?
    /// The system prompt sent first; nil sends none.
    public var systemPrompt: String?

    public init(persona: String, model: String? = nil, systemPrompt: String? = nil) {
        self.persona = persona
        self.model = model
        self.systemPrompt = systemPrompt
    }
}

/// How a persona should answer: sampling options, and optionally a JSON Schema for a structured answer.
public struct ThinkOptions: Sendable, Hashable {
    public var generation: GenerationOptions
    /// When set, the answer must be JSON matching this schema: it is requested from the server
    /// (`format` / `response_format`), validated, and asked for again once with the violations.
    public var schema: JSONValue?
    /// Ask for any JSON value (ignored when ``schema`` is set).
    public var json: Bool
    /// How many times an answer that fails validation is asked for again. Default 1.
    public var schemaRetries: Int

    public init(generation: GenerationOptions = GenerationOptions(), schema: JSONValue? = nil, json: Bool = false, schemaRetries: Int = 1) {
        self.generation = generation
        self.schema = schema
        self.json = json
        self.schemaRetries = schemaRetries
    }

    /// Options from a JSON object, as a Lua table arrives: `temperature`, `top_p`, `top_k`,
    /// `num_ctx`, `max_tokens` (or `num_predict`), `seed`, `stop`, `schema`, `json`.
    public init(options object: JSONValue) {
        var generation = GenerationOptions()
        generation.temperature = object["temperature"]?.doubleValue
        generation.topP = object["top_p"]?.doubleValue
        generation.topK = object["top_k"]?.intValue
        generation.contextLength = object["num_ctx"]?.intValue
        generation.maxTokens = object["max_tokens"]?.intValue ?? object["num_predict"]?.intValue
        generation.seed = object["seed"]?.intValue
        generation.stop = object["stop"]?.arrayValue?.compactMap(\.stringValue) ?? object["stop"]?.stringValue.map { [$0] }
        self.init(generation: generation, schema: object["schema"], json: object["json"]?.boolValue ?? false,
                  schemaRetries: object["schema_retries"]?.intValue ?? 1)
    }
}

/// A persona's finished answer.
public struct ThinkResult: Sendable, Hashable {
    public var persona: String
    public var runID: String
    public var model: String
    /// The full text of the (last) answer.
    public var text: String
    /// The parsed, validated answer when a schema or JSON was asked for.
    public var json: JSONValue?
    /// Counts and timings the server reported.
    public var usage: TokenUsage?
    /// Attempts made (2 when a structured answer was asked for again).
    public var attempts: Int
}

/// What a streaming persona call yields: pieces of text, then the finished answer.
public enum ThinkUpdate: Sendable, Hashable {
    case delta(ThinkDelta)
    case finished(ThinkResult)
}
