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
