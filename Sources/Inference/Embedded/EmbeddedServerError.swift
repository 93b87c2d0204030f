/// Why the embedded model server could not be used; the message names the fix.
public struct EmbeddedServerError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case notInstalled
        case failedToStart
        case stopped
        /// An adapter that cannot be registered: not a GGUF, missing, in the models directory, a bad name.
        case invalidAdapter
        /// The name is registered for another adapter file (a new adapter needs a new versioned name).
        case adapterNameTaken
        /// No adapter is registered under the name.
        case unknownAdapter
        /// The router did not re-read its models preset.
        case reloadFailed
        /// The router could not load the adapter's model (llama.cpp's reason is in the message).
        case adapterRejected
        /// A base model that cannot be served: not a GGUF, missing, a bad name.
        case invalidModel
        /// The name is served for another model file.
        case modelNameTaken
        /// No base model is served under the name.
        case unknownModel
        /// The router could not load the model (llama.cpp's reason is in the message).
        case modelRejected
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
