/// Token counts and timings a server reports at the end of an answer.
public struct TokenUsage: Sendable, Hashable {
    public var promptTokens: Int
    public var completionTokens: Int
    /// Prompt tokens the server took from its prompt (KV) cache instead of evaluating them
    /// (OpenAI `usage.prompt_tokens_details.cached_tokens`, llama.cpp `timings.cache_n`); nil when
    /// the server does not say (Ollama).
    public var cachedPromptTokens: Int?
    /// Time spent loading the model for this call (Ollama `load_duration`).
    public var loadDuration: Duration?
    /// Time spent generating (Ollama `eval_duration`).
    public var evalDuration: Duration?
    /// Wall time of the whole call as the server measured it (Ollama `total_duration`).
    public var totalDuration: Duration?

    public init(promptTokens: Int = 0, completionTokens: Int = 0, cachedPromptTokens: Int? = nil, loadDuration: Duration? = nil,
                evalDuration: Duration? = nil, totalDuration: Duration? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.cachedPromptTokens = cachedPromptTokens
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
