/// The knobs of one LoRA fine-tune, as the trainers read them from the job spec's `hyper` object
/// (Scripts/trainers/trainer_protocol.py). Unset fields take the trainer's defaults.
public struct TrainerHyperparameters: Sendable, Hashable, Codable {
    /// The LoRA rank.
    public var r: Int?
    /// LoRA alpha (the adapter's strength is alpha / r).
    public var alpha: Int?
    public var dropout: Double?
    /// Passes over the dataset (ignored when ``maxSteps`` is set).
    public var epochs: Double?
    /// Optimizer steps; overrides ``epochs`` when positive.
    public var maxSteps: Int?
    public var learningRate: Double?
    public var batchSize: Int?
    /// Tokens per example; longer examples are truncated.
    public var maxSequenceLength: Int?
    public var seed: Int?
    /// CPU threads (0 or nil: every core).
    public var threads: Int?
    /// The adapter GGUF's tensor type: f32, f16 (default), bf16 or q8_0.
    public var outtype: String?
    /// Whether the hold-out loss is measured before training too (the trainer's default: yes).
    public var evalBefore: Bool?

    public init(r: Int? = nil, alpha: Int? = nil, dropout: Double? = nil, epochs: Double? = nil, maxSteps: Int? = nil,
                learningRate: Double? = nil, batchSize: Int? = nil, maxSequenceLength: Int? = nil, seed: Int? = nil,
                threads: Int? = nil, outtype: String? = nil, evalBefore: Bool? = nil) {
        self.r = r
        self.alpha = alpha
        self.dropout = dropout
        self.epochs = epochs
        self.maxSteps = maxSteps
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.maxSequenceLength = maxSequenceLength
        self.seed = seed
        self.threads = threads
        self.outtype = outtype
        self.evalBefore = evalBefore
    }

    enum CodingKeys: String, CodingKey {
        case r, alpha, dropout, epochs, seed, threads, outtype
        case maxSteps = "max_steps"
        case learningRate = "learning_rate"
        case batchSize = "batch_size"
        case maxSequenceLength = "max_seq_length"
        case evalBefore = "eval_before"
    }
}
