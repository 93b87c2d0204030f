/// Tells the ``Governor`` the facts about models, as the runtime's model servers and registered
/// adapters know them (``Image/useModelFacts(_:)``). Asked, outside any transaction, before a
/// commit that lets a loop bind a persona to a model.
public protocol ModelFactsResolver: Sendable {
    /// The facts about `model` as `persona` would think with it (on that persona's server).
    func facts(about model: String, for persona: String) async -> ModelLookup
}
