/// Which model a persona thinks with and the system prompt (its codex) that frames every call.
public struct PersonaBinding: Sendable, Hashable {
    /// The persona's name (`brick`); also selects its backend from `[personas.NAME]`.
    public var persona: String
    /// The model; nil means the one in `config.toml` (`[models]`, or `[personas.NAME] adapter`).
    public var model: String?
    /// The system prompt sent first; nil sends none.
    public var systemPrompt: String?

    public init(persona: String, model: String? = nil, systemPrompt: String? = nil) {
        self.persona = persona
        self.model = model
        self.systemPrompt = systemPrompt
    }
}
