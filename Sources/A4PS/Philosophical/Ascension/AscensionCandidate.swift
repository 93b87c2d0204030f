import Inference
import JSON

/// A base model a persona could ascend to: where it comes from, whether the persona's model
/// server has it, and what it needs in VRAM (and how that is known).
public struct AscensionCandidate: Sendable, Hashable {
    /// How the persona's model server would serve it.
    public enum Availability: String, Sendable, Hashable {
        /// The server has it (Ollama pulled it, vLLM serves it, the embedded server serves it).
        case present
        /// Ollama would pull it first.
        case pullable
        /// A GGUF file the embedded server serves under the candidate's name once registered.
        case file
        /// An OpenAI-compatible server (vLLM) that does not serve it: it must be started with it.
        case notServed = "not_served"
    }

    /// The name the persona would think with.
    public var name: String
    public var availability: Availability
    /// What it needs in VRAM, when known.
    public var sizeBytes: Int64?
    /// Its family, when its server reports one (the governor's `allowed_model_families` reads it).
    public var family: String?
    /// How the size is known: `the server`, `its file`, `declared in config.toml`, or an estimate from the name.
    public var sizeSource: String?
    /// The GGUF file, for the embedded server.
    public var file: String?
    /// What the trainer loads to make adapters for it (`[ascension] candidates` `trainer_base`, or its GGUF).
    public var trainerBase: String?
    /// Where it was found: `server` (the backend offers it), `config` (`[ascension] candidates`), `argument`.
    public var origins: [String]
    /// Whether the persona thinks with it now.
    public var isCurrent = false

    public var json: JSONValue {
        var object: [String: JSONValue] = ["name": .string(name), "availability": .string(availability.rawValue),
                                           "origins": .array(origins.map { .string($0) }), "current": .bool(isCurrent)]
        if let sizeBytes { object["size_bytes"] = .int(Int(sizeBytes)) }
        if let sizeSource { object["size_source"] = .string(sizeSource) }
        if let family { object["family"] = .string(family) }
        if let file { object["file"] = .string(file) }
        if let trainerBase { object["trainer_base"] = .string(trainerBase) }
        return .object(object)
    }
}
