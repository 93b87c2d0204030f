/// `[strategic]`: the strategic loop — ALFRED's Oracle, the golden dataset, fine-tuning.
public struct StrategicSettings: Sendable, Hashable {
    /// `score_deliberations` — whether ALFRED's Oracle scores every finished deliberation (on
    /// demand it always can: `a4ps oracle score RUN`). Default true.
    public var scoreDeliberations = true
    /// `golden_threshold` — the Oracle's overall score (1–5) at or above which an interaction
    /// yields golden examples. Default 4.5.
    public var goldenThreshold = 4.5
    /// `min_examples` — a persona's new training examples (since its last fine-tune) at which a
    /// fine-tune job is queued on its own. Default 500 (seed 002); 0 turns the trigger off.
    public var minExamples = 500
    /// `trainer` — the trainer command: `"cpu"` (the shipped CPU LoRA trainer, the default),
    /// `"unsloth"` (the shipped Unsloth trainer with `trainer_python`), or an executable path
    /// that speaks the same protocol (Scripts/trainers/README.md).
    public var trainer = "cpu"
    /// `trainer_python` — the Python with Unsloth installed, for `trainer = "unsloth"`.
    public var trainerPython: String?
    /// `base_model` — the base the trainer loads: a Hugging Face id or directory. Default: the
    /// embedded model's (SmolLM2-135M-Instruct), loaded from its GGUF.
    public var baseModel: String?
    /// `min_gain` — how much the new mind's mean validation score must exceed the old one's for
    /// the swap (1–5 scale). Default 0: swap when not worse.
    public var minGain = 0.0
    /// `validation_prompts` — how many hold-out prompts each mind answers in validation. Default 6.
    public var validationPrompts = 6
    /// `max_steps`, `epochs`, `learning_rate`, `lora_r`, `lora_alpha`, `batch_size`, `max_seq_length`:
    /// the trainer's hyper-parameters (unset: the trainer's defaults).
    public var maxSteps: Int?
    public var epochs: Double?
    public var learningRate: Double?
    public var loraRank: Int?
    public var loraAlpha: Int?
    public var batchSize: Int?
    public var maxSequenceLength: Int?

    public init() {}
}
