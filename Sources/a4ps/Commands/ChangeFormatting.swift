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

    /// A refusal of the governor's audit trail, in the same form as a change.
    static func text(_ record: VetoRecord) -> String {
        let when = ISO8601DateFormatter().string(from: record.at)
        let veto = record.veto
        return "VETO \(record.id)  \(when)  \(veto.proto)  \(veto.subject)  by \(veto.author.rawValue)  rule \(veto.rule)\n"
            + "    \(veto.description)"
    }

    private static func short(_ value: JSONValue?) -> String {
        guard let value else { return "(none)" }
        let text = value.jsonText.replacingOccurrences(of: "\\n", with: "⏎")
        return text.count > 60 ? String(text.prefix(57)) + "…" : text
    }
}
