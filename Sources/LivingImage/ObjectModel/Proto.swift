/// A prototype object of the image: named slots (state), Lua methods (behaviour), an optional
/// parent it delegates to, its codex (identity) and a version.
///
/// `Proto` is a value type: a clone is a copy (copy-on-write), changed freely and then offered
/// back to the object memory with ``ObjectMemory/swap(_:expecting:author:reason:)``, which
/// succeeds only if nobody swapped the original in the meantime.
public struct Proto: Sendable, Hashable {
    public let name: String
    public var parent: String?
    public var slots: [String: JSONValue]
    public var methods: [String: MethodSource]
    public var codex: JSONValue
    /// Increases by one with every committed change to this proto.
    public internal(set) var version: Int64

    public init(name: String, parent: String? = nil, slots: [String: JSONValue] = [:],
                methods: [String: MethodSource] = [:], codex: JSONValue = .null, version: Int64 = 0) {
        self.name = name
        self.parent = parent
        self.slots = slots
        self.methods = methods
        self.codex = codex
        self.version = version
    }

    /// A copy to modify and swap back in (Self's `clone`).
    public func clone() -> Proto { self }

    /// Adds or replaces a method on this value.
    public mutating func define(_ selector: String, source: String) {
        let next = (methods[selector]?.version ?? 0) + 1
        methods[selector] = MethodSource(selector: selector, source: source, version: next)
    }
}
