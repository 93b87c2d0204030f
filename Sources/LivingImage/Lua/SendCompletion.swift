import GRDB

/// What finishes a top-level send after its method answered (see
/// ``Image/send(_:_:_:author:limits:completing:)``): a value for the caller, and rows of the
/// caller's own to write in the very SQLite transaction that commits the send's slot writes.
///
/// The deliberation graph commits a node's writes and its checkpoint this way, so that a crash
/// leaves either both or neither.
public struct SendCompletion<Value: Sendable>: Sendable {
    public var value: Value
    /// Runs inside the commit's write transaction, after the slot writes; throwing rolls the
    /// whole commit back (nothing of the send is written).
    public var write: (@Sendable (Database) throws -> Void)?

    public init(_ value: Value, write: (@Sendable (Database) throws -> Void)? = nil) {
        self.value = value
        self.write = write
    }
}
