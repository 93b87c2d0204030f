/// Why a model server (Ollama, vLLM) could not serve a LoRA adapter under a name, or let go of
/// one; the message says why and what to do, and ``serverMessage`` keeps the server's own words.
///
/// A server that cannot be reached at all fails with ``InferenceError`` instead.
public struct AdapterServingError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure, to match on (`catch let error as AdapterServingError where error.code == .creationRefused`).
    public enum Code: String, Sendable, Hashable {
        /// The adapter file cannot be read here (the GGUF that is uploaded to Ollama).
        case unreadableAdapter
        /// This Ollama does not create models with adapters (removed in 0.34.1, or it dropped the adapter).
        case creationRefused
        /// The vLLM server does not load adapters at run time (no `--enable-lora`, or no
        /// `VLLM_ALLOW_RUNTIME_LORA_UPDATING=True`).
        case runtimeLoadingDisabled
        /// The name already serves another model (a new fine-tune always gets a new versioned name).
        case nameTaken
        /// The server refused this adapter or this name (a wrong base, a corrupt file, a path the server cannot see).
        case rejected
        /// The server accepted the adapter but does not serve the name.
        case notServed
        /// The server has no adapter model under the name.
        case unknownAdapter
    }

    public let code: Code
    /// The full message for people, naming the fix.
    public let message: String
    /// What the server said, when it said something.
    public let serverMessage: String?

    public init(_ code: Code, _ message: String, serverMessage: String? = nil) {
        self.code = code
        self.message = message
        self.serverMessage = serverMessage
    }

    public var description: String { message }
}
