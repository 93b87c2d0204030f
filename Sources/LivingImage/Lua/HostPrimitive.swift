/// An asynchronous function offered to Lua methods (`think`, `embed`, `memory.search`, ...).
///
/// Higher layers register primitives when they open the image; a method calls one like any
/// Lua function, its coroutine yields to the host while `run` awaits, and resumes with the
/// answer. A thrown error becomes a Lua error in the method, which it may catch with `pcall`.
public struct HostPrimitive: Sendable {
    /// The Lua name: `think`, or `namespace.name` such as `memory.search`.
    public let name: String
    public let run: @Sendable (_ arguments: [JSONValue], _ context: SendContext) async throws -> JSONValue
    /// Whether calling it again has no effect beyond its answer (a search, a lookup). A send
    /// whose reads went stale before it could commit is re-run only if every primitive it
    /// called is repeatable; one that called another (a model call, `memory.add`, ...) fails
    /// with a conflict instead, so that nothing happens twice.
    public let repeatable: Bool

    public init(name: String, repeatable: Bool = false,
                run: @escaping @Sendable (_ arguments: [JSONValue], _ context: SendContext) async throws -> JSONValue) {
        self.name = name
        self.repeatable = repeatable
        self.run = run
    }
}

/// Where a primitive was called from: the receiver (as it was when the send began) and the
/// selector of the running method.
public struct SendContext: Sendable, Hashable {
    public let receiver: String
    public let selector: String
    public let depth: Int
    /// The receiver's value when its method started (codex, slots, ...).
    public let proto: Proto
    /// In a trial (``Image/trial(_:_:_:_:limits:)``): the clone that stands in for its original.
    /// A primitive with effects outside the image's clone refuses or discards them in a trial.
    public let trialClone: Proto?

    /// Whether this send is a trial, whose effects must stay on its clone.
    public var isTrial: Bool { trialClone != nil }
}
