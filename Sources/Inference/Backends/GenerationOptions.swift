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
