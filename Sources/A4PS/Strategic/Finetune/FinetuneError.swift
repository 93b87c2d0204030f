/// Why a fine-tune job could not be made, run or finished; each message says what to do.
public struct FinetuneError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Another job of the persona, or another running job, is in the way.
        case busy
        case noSuchJob
        case notQueued
        /// Too few golden examples to train on.
        case noData
        /// The persona's backend cannot serve an adapter.
        case cannotServeAdapters
        /// The persona or the image is not in a state to fine-tune (no such persona, no system prompt).
        case invalidPersona
        /// Validation could not be completed (the Oracle failed).
        case validationFailed
        case cancelled
        /// The worker lost its lease to another process.
        case leaseLost
    }

    public var code: Code
    public var description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
