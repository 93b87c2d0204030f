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
