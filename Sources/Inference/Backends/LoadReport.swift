/// What loading a model cost.
public struct LoadReport: Sendable, Hashable {
    public var model: String
    /// The load time as measured by the client (request to answer).
    public var duration: Duration
    /// The load time the server reported, when it did.
    public var serverLoadDuration: Duration?
}
