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

/// A model loaded in memory right now (Ollama `/api/ps`).
public struct RunningModel: Sendable, Hashable {
    public var name: String
    /// Total memory it uses, in bytes.
    public var sizeBytes: Int64
    /// The part of it in GPU memory, in bytes.
    public var sizeVRAMBytes: Int64
    /// When the server will unload it (ISO 8601 as the server sent it).
    public var expiresAt: String?
    public var contextLength: Int?
}

/// One progress report of a pull or create.
public struct PullProgress: Sendable, Hashable {
    public var status: String
    public var digest: String?
    public var total: Int64?
    public var completed: Int64?

    public init(status: String, digest: String? = nil, total: Int64? = nil, completed: Int64? = nil) {
        self.status = status
        self.digest = digest
        self.total = total
        self.completed = completed
    }

    /// Fraction done in [0, 1], when the server reported sizes.
    public var fraction: Double? {
        guard let total, total > 0 else { return nil }
        return min(1, Double(completed ?? 0) / Double(total))
    }

    /// Whether this is the last report of a successful operation.
    public var isSuccess: Bool { status == "success" }
}

/// What loading a model cost.
public struct LoadReport: Sendable, Hashable {
    public var model: String
    /// The load time as measured by the client (request to answer).
    public var duration: Duration
    /// The load time the server reported, when it did.
    public var serverLoadDuration: Duration?
}
