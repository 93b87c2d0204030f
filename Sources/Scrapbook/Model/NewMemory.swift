import Foundation

/// A memory to be added: everything but the identifier, which the scrapbook assigns.
public struct NewMemory: Sendable, Hashable {
    public var text: String
    public var source: MemorySource
    public var persona: String?
    public var runID: String?
    public var createdAt: Date

    public init(
        text: String, source: MemorySource, persona: String? = nil, runID: String? = nil,
        createdAt: Date = Date()
    ) {
        self.text = text
        self.source = source
        self.persona = persona
        self.runID = runID
        self.createdAt = createdAt
    }
}
