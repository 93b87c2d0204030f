/// Where a memory came from: the user's dialogue, a BABS report, a persona's reflection, a document, or any other name.
public struct MemorySource: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    public var description: String { rawValue }

    /// What the user said to the system.
    public static let userDialogue = MemorySource("user_dialogue")
    /// A research or retrieval report written by BABS.
    public static let babsReport = MemorySource("babs_report")
    /// A persona's reflection on its own work (for example after a deliberation).
    public static let selfReflection = MemorySource("self_reflection")
    /// A passage of an ingested document.
    public static let document = MemorySource("document")
}
