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
