import Foundation

extension Image {
    /// Compacts the change log (`a4ps image compact`, `[system] history_keep_days`): removes, in
    /// one transaction, the entries recorded more than `days` days before `now`, except each
    /// proto's latest entry and the one before it (the latest change's undo point) and those
    /// `holds` name; writes the baselines that keep a rollback to
    /// any kept entry rebuilding the same proto; then gives the freed pages back to the disk (see
    /// ``CompactionReport/Reclaim``; `rewriteIfNeeded` allows the one full rewrite an image created
    /// before incremental vacuum needs for that). A dry run changes nothing and reports what would go.
    ///
    /// - Throws: ``ImageError`` `.invalidValue` when `days` is below 1; `.storage` when the file
    ///   cannot be written (nothing is removed then).
    public func compactHistory(keepingDays days: Int, now: Date = Date(), holds: [ChangeLogHold] = [],
                               dryRun: Bool = false, rewriteIfNeeded: Bool = false) throws(ImageError) -> CompactionReport {
        guard days >= 1 else {
            throw ImageError(.invalidValue, "the change log is kept at least 1 day (got \(days)); to keep it whole, set no retention")
        }
        let cutoff = now.addingTimeInterval(-Double(days) * 86_400)
        return try memory.store.compact(before: cutoff, holds: holds, dryRun: dryRun, rewriteIfNeeded: rewriteIfNeeded)
    }
}
