/// Why the embedded model server could not be used; the message names the fix.
public struct EmbeddedServerError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notInstalled
        case failedToStart
        case stopped
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
