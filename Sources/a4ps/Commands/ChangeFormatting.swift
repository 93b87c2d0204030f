import Foundation
import LivingImage

/// How change-log entries are shown to people and to programs.
enum ChangeFormatting {
    static func text(_ change: ChangeRecord) -> String {
        let when = ISO8601DateFormatter().string(from: change.at)
        var lines = ["#\(change.id)  \(when)  \(change.proto) v\(change.protoVersion)  \(change.kind)  by \(change.author.rawValue)"
            + (change.reason.isEmpty ? "" : "  — \(change.reason)")]
        for delta in change.deltas {
            lines.append("    \(delta.subject): \(short(delta.before)) → \(short(delta.after))")
        }
        return lines.joined(separator: "\n")
    }

    private static func short(_ value: JSONValue?) -> String {
        guard let value else { return "(none)" }
        let text = value.jsonText.replacingOccurrences(of: "\\n", with: "⏎")
        return text.count > 60 ? String(text.prefix(57)) + "…" : text
    }
}
