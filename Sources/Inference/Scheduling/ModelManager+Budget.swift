extension ModelManager {
    /// The VRAM budget of the server a persona or role is on, in bytes (`[backends.NAME] vram_gb`,
    /// else `[scheduler] vram_gb`): what a model must fit in to be loaded there.
    public nonisolated func vramBudgetBytes(for persona: String) -> Int64 {
        servers[targets[persona.lowercased()]?.serverKey ?? defaultServerKey]!.budgetBytes
    }

    /// Whether the scheduler manages the residency of the persona's server (Ollama, the embedded
    /// server); an OpenAI-compatible server such as vLLM holds what it serves in memory of its own.
    public nonisolated func schedulesResidency(for persona: String) -> Bool {
        backend(for: persona).managesResidency
    }
}
