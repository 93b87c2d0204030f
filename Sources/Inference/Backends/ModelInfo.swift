/// A model a server has available (Ollama `/api/tags`, OpenAI `/v1/models`).
public struct ModelInfo: Sendable, Hashable {
    public var name: String
    /// Size on disk in bytes (Ollama only): an estimate of the VRAM it needs.
    public var sizeBytes: Int64?
    public var digest: String?
    public var family: String?
    public var parameterSize: String?
    public var quantization: String?
    /// The base model of a LoRA (vLLM's `parent`).
    public var parent: String?

    public init(name: String, sizeBytes: Int64? = nil, digest: String? = nil, family: String? = nil,
                parameterSize: String? = nil, quantization: String? = nil, parent: String? = nil) {
        self.name = name
        self.sizeBytes = sizeBytes
        self.digest = digest
        self.family = family
        self.parameterSize = parameterSize
        self.quantization = quantization
        self.parent = parent
    }
}
