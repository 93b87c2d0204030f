/// A piece of a persona's streamed answer.
public struct ThinkDelta: Sendable, Hashable {
    public var persona: String
    public var runID: String
    public var text: String
    /// Which attempt it belongs to (a schema retry starts attempt 2).
    public var attempt: Int
}
