/// Why an ascension could not start, or a decision on one could not be made; each message says what to do.
///
/// A candidate that turns out unusable once the ascension has started (unknown, too big, does not
/// load, answers garbage) does not throw: the ascension ends `failed` with the reason
/// (``AscensionRecord/reason``), production untouched.
public struct AscensionError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Not a persona with a system prompt.
        case noSuchPersona
        /// The persona has no golden example to evaluate a candidate on.
        case noData
        /// The candidate is the model the persona already thinks with.
        case alreadyBound
        /// The governor refuses the philosophical loop this persona (`ascension_allowed`).
        case vetoed
        /// Another ascension of the persona is under way, or the same one waits for the Architect.
        case busy
        /// No ascension (or ascension proposal) has that id.
        case noSuchAscension
        /// The proposal was already decided.
        case alreadyDecided
        /// The proposal expired before the Architect decided; it changes nothing.
        case expired
        /// The persona's model binding changed since the proposal was made.
        case conflict
    }

    public var code: Code
    public var description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }
}
