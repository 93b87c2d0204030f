/// How long a model call may wait: for the answer to start, and between two streamed chunks.
public struct RequestTimeouts: Sendable, Hashable {
    /// Until the response head arrives (for Ollama this includes loading the model).
    public var firstByte: Duration
    /// The longest silence between two pieces of a streamed body.
    public var idle: Duration

    public init(firstByte: Duration = .seconds(300), idle: Duration = .seconds(120)) {
        self.firstByte = firstByte
        self.idle = idle
    }
}
