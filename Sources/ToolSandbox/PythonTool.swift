/// A Python tool as the Tool Forge writes it: source that defines `def run(args): ...`, and
/// optionally test source whose `test_*` functions check it with plain asserts.
public struct PythonTool: Sendable, Hashable {
    /// A short name for logs and reports (`"word_count"`); never used as a path.
    public var name: String
    /// The tool's source; it must define `run(args)`, which gets the decoded JSON arguments and
    /// returns a JSON-encodable answer.
    public var source: String
    /// The tests' source: `test_*` functions run in a namespace that already holds everything the
    /// tool defines (call `run(...)` directly, or `import tool`).
    public var tests: String?

    public init(name: String, source: String, tests: String? = nil) {
        self.name = name
        self.source = source
        self.tests = tests
    }
}
