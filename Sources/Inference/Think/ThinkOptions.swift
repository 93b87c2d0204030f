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
    /// `num_ctx`, `max_tokens` (or `num_predict`), `seed`, `stop`, `repeat_penalty`, `schema`, `json`.
    public init(options object: JSONValue) {
        var generation = GenerationOptions()
        generation.temperature = object["temperature"]?.doubleValue
        generation.topP = object["top_p"]?.doubleValue
        generation.topK = object["top_k"]?.intValue
        generation.contextLength = object["num_ctx"]?.intValue
        generation.maxTokens = object["max_tokens"]?.intValue ?? object["num_predict"]?.intValue
        generation.seed = object["seed"]?.intValue
        generation.repeatPenalty = object["repeat_penalty"]?.doubleValue
        generation.stop = object["stop"]?.arrayValue?.compactMap(\.stringValue) ?? object["stop"]?.stringValue.map { [$0] }
        self.init(generation: generation, schema: object["schema"], json: object["json"]?.boolValue ?? false,
                  schemaRetries: object["schema_retries"]?.intValue ?? 1)
    }
}
