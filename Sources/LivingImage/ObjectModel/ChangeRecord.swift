import Foundation

/// Who made a change to the image, recorded with every entry of the change log.
public enum ChangeAuthor: String, Sendable, Codable, CaseIterable {
    case genesis, architect, forge, debugger, system
    /// The strategic loop: a fine-tuned model binding swapped in after validation.
    case strategic
    /// The philosophical loop: a persona rebound to a new base model it ascended to, after
    /// validation on a clone (and the Architect's approval unless ALFRED's codex says `auto`).
    case ascension
}

/// One entry of the change log: an atomic change to one proto, with before/after of every
/// part it touched.
public struct ChangeRecord: Sendable, Hashable {
    /// One changed part of a proto. `subject` is `slot:NAME`, `method:SELECTOR`, `parent`,
    /// `codex` or `proto` (existence); values are JSON (`nil` = absent).
    public struct Delta: Sendable, Hashable {
        public var subject: String
        public var before: JSONValue?
        public var after: JSONValue?

        public init(subject: String, before: JSONValue?, after: JSONValue?) {
            self.subject = subject
            self.before = before
            self.after = after
        }
    }

    public var id: Int64
    public var at: Date
    public var proto: String
    public var kind: String
    public var author: ChangeAuthor
    public var reason: String
    /// The proto's version after this change.
    public var protoVersion: Int64
    public var deltas: [Delta]
}
