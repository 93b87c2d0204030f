/// One rule of ALFRED's codex as it is in force — its key, its value, what it governs and on
/// which paths — for people (`a4ps governance show`) and programs (`--json`).
/// ``GovernanceRules/inForce(codex:)`` lists them.
public struct GovernanceRule: Sendable, Hashable {
    /// The key in the codex's `governance` table.
    public var key: String
    /// The value in force (the codex's, else the default).
    public var value: JSONValue
    /// Whether the codex sets it; false: the default applies.
    public var setByCodex: Bool
    /// What it governs, in one sentence.
    public var governs: String
    /// The paths of change it applies to (`method`, `forge install`, `strategic rebinding`, …).
    public var paths: [String]
    /// Who enforces it: `governor`, or the method or loop that reads the policy.
    public var enforcedBy: String

    public init(key: String, value: JSONValue, setByCodex: Bool, governs: String, paths: [String], enforcedBy: String = "governor") {
        self.key = key
        self.value = value
        self.setByCodex = setByCodex
        self.governs = governs
        self.paths = paths
        self.enforcedBy = enforcedBy
    }

    public var json: JSONValue {
        ["key": .string(key), "value": value, "set_by_codex": .bool(setByCodex), "governs": .string(governs),
         "paths": .array(paths.map { .string($0) }), "enforced_by": .string(enforcedBy)]
    }
}
