import Foundation

/// A memory to be added: everything but the identifier, which the scrapbook assigns.
public struct NewMemory: Sendable, Hashable {
    public var text: String
    public var source: MemorySource
    public var persona: String?
    public var runID: String?
    public var createdAt: Date
    /// Where the memory comes from, unique when set (e.g. `run-1a2b/step 7/1`, a graph node's first
    /// memory): adding a memory whose origin is already stored answers the stored one, so a node
    /// that runs again after a crash does not remember the same thing twice.
    public var origin: String?

    public init(
        text: String, source: MemorySource, persona: String? = nil, runID: String? = nil,
        createdAt: Date = Date(), origin: String? = nil
    ) {
        self.origin = origin
        self.text = text
        self.source = source
        self.persona = persona
        self.runID = runID
        self.createdAt = createdAt
    }
}
