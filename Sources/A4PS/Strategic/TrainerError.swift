/// Why a fine-tune did not produce an adapter; the message says what happened and what to do.
///
/// Match on ``code`` (`catch let error as TrainerError where error.code == .cancelled`).
public struct TrainerError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The trainer is not installed, or its command could not be started.
        case launchFailed
        /// The job spec or its dataset was refused (the trainer exits 2).
        case invalidSpec
        /// The trainer exited with a non-zero status (training or conversion failed).
        case failed
        /// The trainer was killed by a signal it did not ask for (out of memory, a `kill -9`).
        case killed
        /// The trainer wrote something on stdout that is not its JSON-lines protocol.
        case protocolViolation
        /// The trainer exited 0 without reporting a result.
        case noResult
        /// The run was cancelled (its process group was stopped).
        case cancelled
    }

    public let code: Code
    public let message: String
    /// The trainer's exit status (or the signal that ended it, for `.killed`).
    public var exitStatus: Int32?
    /// The last lines of the trainer's standard error.
    public var standardErrorTail: [String]

    public init(_ code: Code, _ message: String, exitStatus: Int32? = nil, standardErrorTail: [String] = []) {
        self.code = code
        self.message = message
        self.exitStatus = exitStatus
        self.standardErrorTail = standardErrorTail
    }

    public var description: String {
        guard !standardErrorTail.isEmpty, code != .cancelled else { return message }
        return message + "\n  its last output:\n    " + standardErrorTail.suffix(8).joined(separator: "\n    ")
    }
}
