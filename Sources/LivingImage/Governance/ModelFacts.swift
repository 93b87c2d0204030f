/// What the ``Governor`` needs to know about a model before a loop binds a persona to it: its
/// family and the GPU memory it needs, against the budget of the server that would run it.
///
/// The governor knows nothing of model servers: the runtime tells it (``ModelFactsResolver``), or
/// a caller that has the facts before a model is pulled (a catalog) passes them to
/// ``Image/admitModel(_:for:facts:author:)``.
public struct ModelFacts: Sendable, Hashable {
    /// The model as it was named (a base model or a fine-tuned adapter).
    public var model: String
    /// The base model whose facts these are, when `model` is an adapter on it (nil otherwise).
    public var baseModel: String?
    /// Its family (`llama`, `gemma2`, …) when the server reports one; otherwise the governor
    /// matches `allowed_model_families` against the name.
    public var family: String?
    /// The GPU memory it needs, in bytes (for an adapter: its base's, plus the adapter's when known).
    public var sizeBytes: Int64?
    /// The VRAM budget of the server that would run it, in bytes.
    public var budgetBytes: Int64
    /// Where it would run, for messages (`Ollama at http://…`).
    public var server: String

    public init(model: String, baseModel: String? = nil, family: String? = nil, sizeBytes: Int64?, budgetBytes: Int64,
                server: String) {
        self.model = model
        self.baseModel = baseModel
        self.family = family
        self.sizeBytes = sizeBytes
        self.budgetBytes = budgetBytes
        self.server = server
    }

    /// The facts as evidence in a veto or the audit trail.
    public var json: JSONValue {
        var object: [String: JSONValue] = ["model": .string(model), "budget_bytes": .integer(budgetBytes), "server": .string(server)]
        if let baseModel { object["base_model"] = .string(baseModel) }
        if let family { object["family"] = .string(family) }
        if let sizeBytes { object["size_bytes"] = .integer(sizeBytes) }
        return .object(object)
    }
}

/// The answer to "what is this model?": its facts, or why nobody could tell.
public enum ModelLookup: Sendable, Hashable {
    case known(ModelFacts)
    /// No server, registry or registered adapter knows the model; the reason says where it looked.
    case unknown(reason: String)
}
