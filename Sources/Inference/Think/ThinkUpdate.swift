/// What a streaming persona call yields: pieces of text, then the finished answer.
public enum ThinkUpdate: Sendable, Hashable {
    case delta(ThinkDelta)
    case finished(ThinkResult)
}
