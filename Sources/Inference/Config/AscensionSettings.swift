/// `[ascension]`: the philosophical loop's search for a better base model — the candidates a
/// persona may be evaluated on, how much better one must be, and how much work the protocol does.
public struct AscensionSettings: Sendable, Hashable {
    /// One entry of `candidates`: a model name (`"qwen2.5:7b"`), a GGUF file for the embedded
    /// server (`"/models/x.gguf"`), or a table `{name = "llama3.1:70b", size_gb = 40, file = "…",
    /// trainer_base = "…"}`.
    public struct Candidate: Sendable, Hashable {
        /// The name the persona would think with (for a file, its name without `.gguf` unless given).
        public var name: String
        /// `size_gb` — what it needs in VRAM, declared (GB, 10^9 bytes): the pre-pull fit check
        /// reads it for a model the server does not have yet.
        public var sizeBytes: Int64?
        /// `file` — a GGUF the embedded server serves under ``name``.
        public var file: String?
        /// `trainer_base` — what the trainer loads to make adapters for this base (a Hugging Face
        /// id or directory, or a GGUF); a GGUF served by the embedded server is its own.
        public var trainerBase: String?

        public init(name: String, sizeBytes: Int64? = nil, file: String? = nil, trainerBase: String? = nil) {
            self.name = name
            self.sizeBytes = sizeBytes
            self.file = file
            self.trainerBase = trainerBase
        }
    }

    /// `candidates` — models to consider beside those the persona's model server offers. Default none.
    public var candidates: [Candidate] = []
    /// `min_gain` — how much a candidate's mean Oracle score on the hold-out must exceed the
    /// current binding's (1–5 scale) to count as better: for the dissonance, and again for the
    /// proposal after validation on the clone. Default 0.5.
    public var minGain = 0.5
    /// `validation_prompts` — how many golden hold-out prompts both minds answer. Default 4.
    public var validationPrompts = 4
    /// `answer_tokens` — the longest answer each mind may give to a hold-out prompt. Default 200.
    public var answerTokens = 200
    /// `adapter_examples` — golden training examples the clone's temporary adapter is trained on
    /// (when a trainer is available); 0: no temporary adapter. Default 16.
    public var adapterExamples = 16
    /// `recurate_limit` — after an ascension, how many of the persona's past requests the new mind
    /// answers again for the Oracle to re-score into golden examples; 0: none. Default 20.
    public var recurateLimit = 20

    public init() {}

    /// The configured candidate named `name`, if any.
    public func candidate(named name: String) -> Candidate? {
        candidates.first { $0.name == name || $0.file == name }
    }
}
