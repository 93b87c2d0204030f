import A4PS
import ArgumentParser
import Foundation
import LivingImage

extension ImageCommand {
    /// `a4ps image compact`: removes change-log entries older than the retention, keeping what
    /// rollbacks and the loops still need, and gives the space back.
    struct Compact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove change-log entries older than the retention ([system] history_keep_days or --keep-days).",
            discussion: """
                Each proto's latest change and the one before it (its undo point) stay, and so do the changes an ascension, a fine-tune swap or an approved \
                codex amendment names (their undo points); rolling back to any change that stays works as before. \
                The freed space goes back to the disk; an image created before a4ps did that is rewritten once (VACUUM). \
                It writes the image, so it refuses while `a4ps serve` holds it (the server compacts daily on its own \
                when history_keep_days is set); --dry-run only reads.
                """)
        @OptionGroup var options: ImageOptions
        @Option(name: .customLong("keep-days"), help: "Keep this many days of the change log (default: [system] history_keep_days).")
        var keepDays: Int?
        @Flag(name: .customLong("dry-run"), help: "Say what would be removed; change nothing.") var dryRun = false
        @Flag(help: "Print JSON instead of text.") var json = false

        func validate() throws {
            if let keepDays, keepDays < 1 { throw ValidationError("--keep-days must be 1 or more") }
        }

        func run() async throws {
            guard let days = try keepDays ?? options.loadConfig().system.historyKeepDays else {
                throw ValidationError("no retention is set, so the whole change log is kept: pass --keep-days N, "
                    + "or set history_keep_days = N under [system] in \(options.configPath)")
            }
            let image = try await options.open(create: false, writes: !dryRun)
            defer { image.close() }
            let report = try image.compactHistory(keepingDays: days, holds: ChangeLogHold.loops, dryRun: dryRun, rewriteIfNeeded: true)
            if json {
                emitLine(Self.json(report, days: days).prettyText)
            } else {
                for line in Self.text(report, days: days) { emitLine(line) }
            }
        }

        static func text(_ report: CompactionReport, days: Int) -> [String] {
            let cutoff = ISO8601DateFormatter().string(from: report.cutoff)
            let verb = report.dryRun ? "would remove" : "removed"
            var lines: [String] = []
            let byProto = report.removedByProto.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            if report.removedChanges == 0 {
                lines.append("nothing to remove: no change older than \(days) day(s) (before \(cutoff)) that is not needed")
            } else {
                let range = report.removedIDs.map { " (from #\($0.lowerBound) to #\($0.upperBound))" } ?? ""
                lines.append("\(report.dryRun ? "dry run: " : "")\(verb) \(report.removedChanges) change(s)\(range) older than \(days) day(s) "
                    + "(before \(cutoff)): \(byProto)")
            }
            if report.keptTotal > 0 {
                let reasons = ["\(report.keptAsLatest) as their proto's latest change or its undo point"]
                    + report.keptByHold.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }
                lines.append("kept although older: \(reasons.filter { !$0.hasPrefix("0 ") }.joined(separator: ", "))")
            }
            if report.baselinesWritten > 0 {
                lines.append("\(report.dryRun ? "would write" : "wrote") \(report.baselinesWritten) baseline snapshot(s), "
                    + "so rolling back to a kept change rebuilds the same proto")
            }
            if report.dryRun {
                lines.append("nothing was changed (run it without --dry-run to compact)")
                return lines
            }
            let sizes = "\(bytes(report.bytesBefore)) → \(bytes(report.bytesAfter))"
            switch report.reclaim {
            case .nothing: lines.append("file: \(sizes)")
            case .returnedToDisk: lines.append("file: \(sizes) (freed space returned to the disk)")
            case .rewritten: lines.append("file: \(sizes) (rewritten once to return freed space; later compactions do it without a rewrite)")
            case .keptForReuse: lines.append("file: \(sizes), \(bytes(report.freeBytesAfter)) free inside it for new changes")
            }
            return lines
        }

        static func json(_ report: CompactionReport, days: Int) -> JSONValue {
            var object: [String: JSONValue] = [
                "dry_run": .bool(report.dryRun), "keep_days": .integer(Int64(days)),
                "cutoff": .string(ISO8601DateFormatter().string(from: report.cutoff)),
                "removed_changes": .integer(Int64(report.removedChanges)), "removed_deltas": .integer(Int64(report.removedDeltas)),
                "removed_by_proto": .object(report.removedByProto.mapValues { .integer(Int64($0)) }),
                "kept_as_latest": .integer(Int64(report.keptAsLatest)),
                "kept_by_hold": .object(report.keptByHold.mapValues { .integer(Int64($0)) }),
                "baselines_written": .integer(Int64(report.baselinesWritten)), "baselines_removed": .integer(Int64(report.baselinesRemoved)),
                "bytes_before": .integer(report.bytesBefore), "bytes_after": .integer(report.bytesAfter),
                "free_bytes_after": .integer(report.freeBytesAfter), "reclaim": .string(report.reclaim.rawValue),
            ]
            if let range = report.removedIDs {
                object["removed_ids"] = .object(["first": .integer(range.lowerBound), "last": .integer(range.upperBound)])
            }
            return .object(object)
        }

        private static func bytes(_ count: Int64) -> String {
            count >= 1 << 20 ? String(format: "%.1f MiB", Double(count) / 1_048_576) : String(format: "%.1f KiB", Double(count) / 1024)
        }
    }
}
