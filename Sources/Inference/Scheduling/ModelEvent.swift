/// Something the model layer did, published live for a CLI, UI or log (``ModelManager/events()``).
public enum ModelEvent: Sendable, Hashable {
    /// A model starts loading onto the GPU.
    case loading(model: String, backend: String, estimatedBytes: Int64)
    /// A model finished loading; `bytes` is what it occupies (measured via `/api/ps` when possible).
    case loaded(model: String, backend: String, bytes: Int64, duration: Duration)
    /// A model left the GPU.
    case unloaded(model: String, backend: String, reason: UnloadReason)
    /// A model alone is larger than the budget; it was loaded anyway with nothing else resident.
    case overBudget(model: String, backend: String, bytes: Int64, budgetBytes: Int64)
    /// A persona's call started, with the messages the model is sent (what the persona "saw").
    case callStarted(persona: String, runID: String, model: String, messages: [ChatMessage])
    /// A piece of a persona's answer.
    case delta(ThinkDelta)
    /// A structured answer did not match its schema and is asked for again.
    case schemaRetry(persona: String, runID: String, violations: [String])
    /// A persona's call finished.
    case callFinished(persona: String, runID: String, model: String, usage: TokenUsage?)
    /// A persona's call failed.
    case callFailed(persona: String, runID: String, model: String, message: String)
}
