/// Why the motivator could not do what was asked of it; each message says what to do.
public struct MotivatorError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// No goal has that id.
        case noSuchGoal
        /// The goal already ended (done, failed or cancelled).
        case alreadyFinished
        /// `[motivator] enabled = false`.
        case disabled
        /// A goal's arguments do not say what its kind needs.
        case invalidGoal
    }

    public var code: Code
    public var description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
