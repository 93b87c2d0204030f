/// Why a tool call of the MCP server failed, with a message that names the fix. It reaches the
/// client as a tool result with `isError` set, never as a crash or a protocol error.
public struct MCPToolError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of mistake or failure it was.
    public enum Code: String, Sendable {
        /// No tool by that name.
        case unknownTool
        /// An argument is missing, of the wrong type, out of range or not expected.
        case badArguments
        /// The proto named does not exist.
        case unknownProto
        /// The image refused or failed the request (a method raised, the governor vetoed, …).
        case imageError
        /// The memory search failed.
        case memoryError
        /// The deliberation failed or could not start.
        case runFailed
    }

    public let code: Code
    /// What went wrong and how to fix it.
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
