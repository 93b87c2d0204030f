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
    /// Penalty for repeating tokens already generated (1 = none; llama.cpp and Ollama `repeat_penalty`,
    /// vLLM `repetition_penalty`): small models otherwise tend to repeat one sentence until the limit.
    public var repeatPenalty: Double?

    public init(
        temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil, contextLength: Int? = nil,
        maxTokens: Int? = nil, seed: Int? = nil, stop: [String]? = nil, repeatPenalty: Double? = nil
    ) {
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.contextLength = contextLength
        self.maxTokens = maxTokens
        self.seed = seed
        self.stop = stop
        self.repeatPenalty = repeatPenalty
    }

    var isEmpty: Bool { self == GenerationOptions() }
}
