/// Why `config.toml` could not be used, naming the file, the line and what to change.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of problem it is, for callers that match on it.
    public enum Code: Sendable, Hashable {
        /// The file is not valid TOML.
        case malformed
        /// A key has a value of the wrong type or out of range.
        case invalidValue
        /// A name refers to something that is not defined (a backend, say).
        case unknownReference
        /// The file exists but cannot be read.
        case unreadable
    }

    public let code: Code
    /// The file the problem is in (nil for a string parsed directly).
    public let path: String?
    /// The 1-based line, when known.
    public let line: Int?
    /// The 1-based column, when known.
    public let column: Int?
    /// The dotted key concerned (`scheduler.vram_gb`), when there is one.
    public let key: String?
    /// What is wrong and how to fix it.
    public let reason: String

    init(code: Code, path: String?, line: Int? = nil, column: Int? = nil, key: String? = nil, reason: String) {
        self.code = code
        self.path = path
        self.line = line
        self.column = column
        self.key = key
        self.reason = reason
    }

    public var description: String {
        var location = path ?? "config.toml"
        if let line {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        let subject = key.map { " (\($0))" } ?? ""
        return "\(location): \(reason)\(subject)"
    }
}
