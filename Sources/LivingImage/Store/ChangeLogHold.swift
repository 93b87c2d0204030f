import GRDB

/// A reason to keep change-log entries that compaction (``Image/compactHistory(keepingDays:now:holds:dryRun:rewriteIfNeeded:)``)
/// would otherwise remove because of their age: the entries something outside the image still
/// needs, such as the undo point an approved proposal printed.
///
/// The image itself always keeps each proto's latest entry and what rollbacks to the kept entries
/// need; modules with tables of their own in the image file (the loops' proposals and jobs) name
/// the entries their rows refer to with holds.
public struct ChangeLogHold: Sendable {
    /// What the kept entries are for, as the compaction report counts them ("ascension undo points").
    public var reason: String
    /// The ids of the entries to keep, read in the compaction's own transaction (ids no longer in
    /// the log are ignored).
    public var changes: @Sendable (Database) throws -> [Int64]

    public init(reason: String, changes: @escaping @Sendable (Database) throws -> [Int64]) {
        self.reason = reason
        self.changes = changes
    }
}
