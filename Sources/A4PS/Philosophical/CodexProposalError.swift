/// Why a codex amendment proposal could not be made, approved or rejected; each message says what to do.
public struct CodexProposalError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// No proposal has that id.
        case noSuchProposal
        /// The persona does not exist or has no codex to amend.
        case noSuchPersona
        /// The proposal was already approved or rejected.
        case alreadyDecided
        /// The proposal expired before the Architect decided; it changes nothing.
        case expired
        /// The persona's codex changed since the proposal was drafted: the diff no longer applies to what was reviewed.
        case conflict
        /// The same amendment was rejected before, and nothing new supports it.
        case alreadyRejected
        /// The same amendment is already waiting for the Architect.
        case duplicate
        /// The diff is malformed, empty, or changes nothing.
        case invalidDiff
    }

    public var code: Code
    public var description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
