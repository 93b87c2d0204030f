/// What ingesting one document did: how many passages it was split into, added now, or already stored.
public struct IngestReport: Sendable, Hashable {
    public var title: String
    /// Identifies the document's content (and passage options); re-ingesting it adds nothing.
    public var documentKey: String
    public var passageCount: Int
    /// Passages stored by this call (ids in passage order).
    public var added: [MemoryID]
    /// Passages that were already stored (by an earlier or interrupted ingestion) and were skipped.
    public var alreadyStored: Int
}
