import Foundation

/// One stored memory: its text, where it came from, who made it and when.
public struct Memory: Sendable, Hashable, Identifiable {
    public var id: MemoryID
    public var text: String
    public var source: MemorySource
    public var persona: String?
    public var runID: String?
    public var createdAt: Date
    /// For a passage of an ingested document: which document and which passage.
    public var passage: DocumentPassage?

    public init(
        id: MemoryID, text: String, source: MemorySource, persona: String?, runID: String?,
        createdAt: Date, passage: DocumentPassage? = nil
    ) {
        self.id = id
        self.text = text
        self.source = source
        self.persona = persona
        self.runID = runID
        self.createdAt = createdAt
        self.passage = passage
    }
}
