import Foundation

/// Restricts a search to some sources, personas and a time range; an empty filter matches every memory.
public struct MemoryFilter: Sendable, Hashable {
    /// Only memories from one of these sources (nil: any source).
    public var sources: Set<MemorySource>?
    /// Only memories of one of these personas (nil: any persona, including none).
    public var personas: Set<String>?
    /// Only memories created at or after this date.
    public var since: Date?
    /// Only memories created before this date.
    public var until: Date?

    public init(
        sources: Set<MemorySource>? = nil, personas: Set<String>? = nil, since: Date? = nil,
        until: Date? = nil
    ) {
        self.sources = sources
        self.personas = personas
        self.since = since
        self.until = until
    }

    /// True when the filter lets every memory through.
    public var isEmpty: Bool {
        sources == nil && personas == nil && since == nil && until == nil
    }
}
