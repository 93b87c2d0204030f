/// One `test_*` function of a tool's tests, and how it went.
public struct ToolTestCase: Sendable, Hashable {
    /// The function's name (`"test_counts_words"`).
    public var name: String
    /// The failure when it failed: for an assert, its message or failing line and the traceback.
    public var failure: PythonFailure?

    public var passed: Bool { failure == nil }

    public init(name: String, failure: PythonFailure? = nil) {
        self.name = name
        self.failure = failure
    }
}
