import Foundation

/// What compacting the change log did (or, for a dry run, would do): the entries it removed,
/// those it kept although they were old and why, and the file's size before and after.
public struct CompactionReport: Sendable, Hashable {
    /// How the pages the removed entries held went back.
    public enum Reclaim: String, Sendable, Hashable {
        /// Nothing was removed, or it was a dry run.
        case nothing
        /// Returned to the disk by `PRAGMA incremental_vacuum` (or auto-vacuum): the file shrank.
        case returnedToDisk
        /// The file was rewritten once (`VACUUM`) and switched to incremental vacuum, so later
        /// compactions return space without a rewrite.
        case rewritten
        /// Left free inside the file, where new changes reuse them (the file stops growing but does
        /// not shrink): the file predates incremental vacuum and was not rewritten.
        case keptForReuse
    }

    /// Entries recorded before this moment were candidates for removal.
    public var cutoff: Date
    public var dryRun: Bool
    /// Entries removed (or that a dry run would remove), with their deltas.
    public var removedChanges: Int
    public var removedDeltas: Int
    /// The removed entries by proto.
    public var removedByProto: [String: Int]
    /// The oldest and newest removed entry ids (nil when none).
    public var removedIDs: ClosedRange<Int64>?
    /// Entries older than the cutoff kept because they are their proto's latest, or the one before
    /// it (the latest change's undo point).
    public var keptAsLatest: Int
    /// Entries older than the cutoff kept because a ``ChangeLogHold`` needs them, by its reason.
    public var keptByHold: [String: Int]
    /// Baseline snapshots written so that rollbacks to the kept entries still rebuild their protos.
    public var baselinesWritten: Int
    /// Baselines of earlier compactions no kept entry needed any more, removed.
    public var baselinesRemoved: Int
    /// The file's size as SQLite counts it (`page_count` × `page_size`), before and after.
    public var bytesBefore: Int64
    public var bytesAfter: Int64
    /// Bytes on the file's free list after compaction, reused by later changes.
    public var freeBytesAfter: Int64
    public var reclaim: Reclaim

    /// Entries older than the cutoff that were kept.
    public var keptTotal: Int { keptAsLatest + keptByHold.values.reduce(0, +) }
}
