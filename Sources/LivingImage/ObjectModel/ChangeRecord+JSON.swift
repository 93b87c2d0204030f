import Foundation

/// The JSON form of change-log entries, for `a4ps image history --json` and the server.
extension ChangeRecord {
    public var json: JSONValue {
        [
            "id": .integer(id),
            "at": .string(ISO8601DateFormatter().string(from: at)),
            "proto": .string(proto),
            "kind": .string(kind),
            "author": .string(author.rawValue),
            "reason": .string(reason),
            "protoVersion": .integer(protoVersion),
            "deltas": .array(deltas.map { d in
                ["subject": .string(d.subject), "before": d.before ?? .null, "after": d.after ?? .null,
                 "absentBefore": .bool(d.before == nil), "absentAfter": .bool(d.after == nil)]
            }),
        ]
    }
}
