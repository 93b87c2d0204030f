/// The stable identifier of a memory in its scrapbook (the row id in `memory_item`).
public struct MemoryID: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int64

    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: Int64) {
        self.rawValue = rawValue
    }

    public var description: String { String(rawValue) }

    public static func < (lhs: MemoryID, rhs: MemoryID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
