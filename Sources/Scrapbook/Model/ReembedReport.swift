/// What `reembed()` did: how many memories got a vector of the current model, and the space now in use.
public struct ReembedReport: Sendable, Hashable {
    public var reembedded: Int
    public var model: String
    /// The dimension of the current model's vectors; nil when there was nothing to embed.
    public var dimension: Int?
    /// True when the scrapbook switched to the current model's vectors (and its index was rebuilt).
    public var switchedModel: Bool
    public var index: IndexReport
}
