import Foundation

/// One entry of the governor's audit trail: a change (or the start of a forge, a fine-tune, a
/// model's pull) the ``Governor`` refused, kept in the image file although the change itself
/// was not (``Image/vetoes(proto:subject:limit:)``, `a4ps image history`, `a4ps governance vetoes`).
public struct VetoRecord: Sendable, Hashable {
    /// Its number in the audit trail (its own sequence, apart from the change log's).
    public var id: Int64
    public var at: Date
    public var veto: Governor.Veto

    public init(id: Int64, at: Date, veto: Governor.Veto) {
        self.id = id
        self.at = at
        self.veto = veto
    }

    /// The JSON form, for `--json` output and the server; `kind` is `veto`, so that it reads
    /// apart from change-log entries in one history.
    public var json: JSONValue {
        [
            "kind": "veto",
            "veto": .integer(id),
            "at": .string(ISO8601DateFormatter().string(from: at)),
            "proto": .string(veto.proto),
            "subject": .string(veto.subject),
            "author": .string(veto.author.rawValue),
            "rule": .string(veto.rule),
            "reason": .string(veto.description),
            "evidence": veto.evidence,
        ]
    }
}
