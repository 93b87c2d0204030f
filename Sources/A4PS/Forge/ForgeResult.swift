import LivingImage

/// What a run of the Tool Forge did: every attempt with its errors, and the change when it succeeded.
public struct ForgeResult: Sendable, Hashable {
    public struct Attempt: Sendable, Hashable {
        public var number: Int
        public var method: String?
        public var tests: String?
        /// Why this attempt was not accepted (compile errors, failing assertions, governance).
        public var errors: [String]
    }

    public var proto: String
    public var selector: String
    /// What was forged: a Lua method or a Python tool.
    public var language: ForgeLanguage
    public var model: String
    public var attempts: [Attempt]
    /// The committed change, when a candidate passed every test and the governor.
    public var change: ChangeRecord?

    public var succeeded: Bool { change != nil }

    /// What the forge did, as the API shows it: its provenance and the change (null when nothing passed).
    public var json: JSONValue {
        var object = provenance.objectValue ?? [:]
        object["proto"] = .string(proto)
        object["selector"] = .string(selector)
        object["change"] = change?.json ?? .null
        return .object(object)
    }

    /// The provenance kept in the change log.
    var provenance: JSONValue {
        [
            "forge": .string("\(proto)>>\(selector)"),
            "language": .string(language.rawValue),
            "model": .string(model),
            "attempts": .array(attempts.map { a in
                ["number": .int(a.number), "method": a.method.map { .string($0) } ?? .null,
                 "tests": a.tests.map { .string($0) } ?? .null, "errors": .array(a.errors.map { .string($0) })]
            }),
        ]
    }
}
