/// A Python exception that came out of a sandboxed tool: its type, its message and its traceback.
public struct PythonFailure: Sendable, Hashable, CustomStringConvertible {
    /// The exception's class name (`"ZeroDivisionError"`).
    public var type: String
    /// `str(exception)`; for a bare `assert` the failing source line.
    public var message: String
    /// The formatted traceback, as Python prints it.
    public var traceback: String

    public init(type: String, message: String, traceback: String) {
        self.type = type
        self.message = message
        self.traceback = traceback
    }

    public var description: String { message.isEmpty ? type : "\(type): \(message)" }
}
