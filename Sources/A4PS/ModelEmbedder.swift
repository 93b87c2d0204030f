import Inference
import Scrapbook

/// The scrapbook's embedder: `[models] embedding` through the model layer (batched, scheduled).
struct ModelEmbedder: Embedder {
    let models: ModelManager
    let modelName: String

    func embed(_ texts: [String]) async throws -> [[Float]] {
        try await models.embed(texts)
    }
}
