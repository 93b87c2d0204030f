/// The shape a structured answer must have.
public enum ResponseFormat: Sendable, Hashable {
    /// Any JSON value.
    case json
    /// JSON matching this JSON Schema.
    case schema(JSONValue)
}
