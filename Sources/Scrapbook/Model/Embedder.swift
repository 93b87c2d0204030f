/// Turns texts into embedding vectors; the model layer provides the real one, tests a deterministic one.
///
/// The Scrapbook calls ``embed(_:)`` with batches of at most
/// ``ScrapbookConfiguration/embeddingBatchSize`` texts and expects one vector per text, in order,
/// all of the same dimension. ``modelName`` identifies the embedding space: when it changes, the
/// stored vectors are no longer comparable and ``Scrapbook/reembed()`` must run.
public protocol Embedder: Sendable {
    /// The name of the embedding model (for example `nomic-embed-text`); it names the vector space.
    var modelName: String { get }

    /// Embeds each text; returns one vector per text, in the same order.
    func embed(_ texts: [String]) async throws -> [[Float]]
}
