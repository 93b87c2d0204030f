/// `[models]`: the model each persona thinks with, and the embedding model (the seeds' keys).
public struct ModelNames: Sendable, Hashable {
    /// `babs` — BABS, research and retrieval. Default `mistral:7b-instruct`.
    public var babs = "mistral:7b-instruct"
    /// `brick` — BRICK, logic and code. Default `phi3:mini-4k-instruct`.
    public var brick = "phi3:mini-4k-instruct"
    /// `robin` — ROBIN, synthesis and evaluation. Default `llama3.1:8b-instruct`.
    public var robin = "llama3.1:8b-instruct"
    /// `alfred` — ALFRED, supervisor and judge. Default `gemma2:9b-instruct`.
    public var alfred = "gemma2:9b-instruct"
    /// `embedding` — the model that embeds memory. Default `nomic-embed-text`.
    public var embedding = "nomic-embed-text"

    public init() {}

    /// The model named for a role (`babs`, `brick`, `robin`, `alfred`, `embedding`), case-insensitive.
    public func model(for role: String) -> String? {
        switch role.lowercased() {
        case "babs": babs
        case "brick": brick
        case "robin": robin
        case "alfred": alfred
        case "embedding": embedding
        default: nil
        }
    }

    /// The four personas, in the order a deliberation meets them.
    public static let personas = ["babs", "brick", "robin", "alfred"]
}
