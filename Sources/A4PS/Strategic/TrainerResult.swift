import JSON

/// What a trainer produced: the adapter for llama.cpp and Ollama (GGUF), the PEFT directory for
/// vLLM, and how the training went (the trainer's `done` line).
public struct TrainerResult: Sendable, Hashable {
    /// The GGUF LoRA adapter (`general.type = adapter`).
    public var adapterGGUF: String
    /// The PEFT adapter directory (`adapter_config.json` + `adapter_model.safetensors`).
    public var peftDirectory: String
    /// Optimizer steps taken.
    public var steps: Int
    /// Training examples in the dataset.
    public var examples: Int
    /// The mean training loss.
    public var trainLoss: Double?
    /// The hold-out loss before and after training (nil without a hold-out set).
    public var evalLossBefore: Double?
    public var evalLossAfter: Double?
    /// Seconds by phase as the trainer measured them (`load_s`, `train_s`, `convert_s`,
    /// `per_step_s`, `per_example_s`, `total_s`, ...).
    public var timings: [String: Double]
    /// The whole `done` object, for what this type does not name.
    public var raw: JSONValue

    /// The result in a protocol `done` object; nil when it lacks the adapter's paths.
    init?(protocolObject object: JSONValue) {
        guard let adapter = object["adapter_gguf"]?.stringValue, let peft = object["peft_dir"]?.stringValue else { return nil }
        adapterGGUF = adapter
        peftDirectory = peft
        steps = object["steps"]?.intValue ?? 0
        examples = object["examples"]?.intValue ?? 0
        trainLoss = object["train_loss"]?.doubleValue
        evalLossBefore = object["eval_loss_before"]?.doubleValue
        evalLossAfter = object["eval_loss_after"]?.doubleValue
        timings = (object["timings"]?.objectValue ?? [:]).compactMapValues(\.doubleValue)
        raw = object
    }
}
