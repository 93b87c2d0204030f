import LivingImage

/// A proposed change to a codex's top-level keys: the keys to set (to their new JSON values) and
/// the keys to remove — `{"set": {"system_prompt": "…", "principles": […]}, "remove": ["key"]}`.
public struct CodexDiff: Sendable, Hashable {
    /// Top-level keys and their new values.
    public var set: [String: JSONValue]
    /// Top-level keys to remove.
    public var remove: [String]

    public init(set: [String: JSONValue] = [:], remove: [String] = []) {
        self.set = set
        self.remove = Array(Set(remove)).sorted()
    }

    /// Reads a diff from its JSON form; a malformed one is an ``CodexProposalError/Code/invalidDiff``.
    public init(json: JSONValue) throws(CodexProposalError) {
        guard let object = json.objectValue, Set(object.keys).isSubset(of: ["set", "remove"]) else {
            throw CodexProposalError(.invalidDiff, "a codex diff is an object {\"set\": {KEY: VALUE, …}, \"remove\": [KEY, …]}, not \(json.jsonText.prefix(120))")
        }
        let set = object["set"]?.objectValue
        let remove = object["remove"]?.arrayValue?.compactMap(\.stringValue)
        if object["set"] != nil, set == nil {
            throw CodexProposalError(.invalidDiff, "\"set\" of a codex diff must be an object of top-level keys and their new values")
        }
        if object["remove"] != nil, remove?.count != object["remove"]?.arrayValue?.count {
            throw CodexProposalError(.invalidDiff, "\"remove\" of a codex diff must be a list of top-level key names")
        }
        self.init(set: set ?? [:], remove: remove ?? [])
        try validate()
    }

    /// Throws when the diff is empty, names an empty key, or both sets and removes a key.
    public func validate() throws(CodexProposalError) {
        guard !set.isEmpty || !remove.isEmpty else {
            throw CodexProposalError(.invalidDiff, "the amendment changes nothing: give at least one `--set KEY=JSON` (or a key to remove)")
        }
        if set.keys.contains("") || remove.contains("") {
            throw CodexProposalError(.invalidDiff, "a codex key cannot be empty")
        }
        let both = Set(set.keys).intersection(remove)
        guard both.isEmpty else {
            throw CodexProposalError(.invalidDiff, "the diff both sets and removes \(both.sorted().joined(separator: ", ")): keep one")
        }
    }

    /// The diff as JSON (stored, shown, compared).
    public var json: JSONValue {
        .object(["set": .object(set), "remove": .array(remove.map { .string($0) })])
    }

    /// `codex` with the diff applied; a codex that is not an object cannot be amended.
    public func applied(to codex: JSONValue) throws(CodexProposalError) -> JSONValue {
        guard var object = codex.objectValue else {
            throw CodexProposalError(.noSuchPersona, "the codex is not an object of keys (\(codex.jsonText.prefix(60))); it cannot be amended by key")
        }
        for key in remove { object[key] = nil }
        object.merge(set) { $1 }
        return .object(object)
    }

    /// A stable digest of a codex (or of any JSON value): the same content gives the same digest.
    public static func digest(_ value: JSONValue) -> String {
        GoldenDataset.digest(value.jsonText)
    }
}
