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
