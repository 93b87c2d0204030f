import Foundation

/// What `a4ps image check` found in an image file: SQLite's full integrity check, whether the
/// file is an a4ps image, and the sessions that held it and did not close it cleanly.
public struct ImageCheckReport: Sendable, Hashable, Codable {
    public var path: String
    /// What SQLite's `PRAGMA integrity_check` (every page, every index against its table) and the
    /// image checks reported wrong; empty when the file is sound.
    public var problems: [String]
    /// Sessions recorded in the file whose process still runs.
    public var openSessions: Int
    /// Sessions recorded in the file whose process is gone: they did not close it (the next open
    /// runs the quick check and forgets them).
    public var uncleanSessions: Int
    public var fileBytes: Int
    public var seconds: Double

    /// Whether the file is a sound a4ps image.
    public var isSound: Bool { problems.isEmpty }
}
