/// Locates a memory inside the document it was split from.
public struct DocumentPassage: Sendable, Hashable {
    /// The document's title (its file name when ingested from a file).
    public var title: String
    /// Identifies the document's content: the same text ingested twice has the same key.
    public var documentKey: String
    /// The passage's position in the document, from 0.
    public var index: Int

    public init(title: String, documentKey: String, index: Int) {
        self.title = title
        self.documentKey = documentKey
        self.index = index
    }
}
