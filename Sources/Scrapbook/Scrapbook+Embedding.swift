import Foundation

extension Scrapbook {
    /// Embeds texts in batches and returns unit vectors of one dimension; nothing is written here.
    func embed(_ texts: [String]) async throws -> [[Float]] {
        let model = embedder.modelName
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        var start = 0
        while start < texts.count {
            let batch = Array(texts[start..<min(texts.count, start + configuration.embeddingBatchSize)])
            let raw: [[Float]]
            do {
                raw = try await embedder.embed(batch)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                throw ScrapbookError.embedderFailed(model: model, underlying: error, pending: texts.count - vectors.count)
            }
            guard raw.count == batch.count else {
                throw ScrapbookError(
                    .badEmbedding,
                    "the embedder '\(model)' returned \(raw.count) vectors for \(batch.count) texts: check the embedding server; nothing was written")
            }
            for vector in raw {
                guard let unit = VectorMath.normalized(vector) else {
                    throw ScrapbookError(
                        .badEmbedding,
                        "the embedder '\(model)' returned an empty, zero or non-finite vector: check the embedding model; nothing was written")
                }
                if let first = vectors.first, first.count != unit.count {
                    throw ScrapbookError(
                        .badEmbedding,
                        "the embedder '\(model)' returned vectors of dimensions \(first.count) and \(unit.count) in one run: check the embedding server; nothing was written")
                }
                vectors.append(unit)
            }
            start += batch.count
        }
        return vectors
    }

    /// The unit vector of a query text, checked against the stored space.
    func embedQuery(_ text: String, space: EmbeddingSpace) async throws -> [Float] {
        guard embedder.modelName == space.model else {
            throw ScrapbookError.modelChanged(stored: space.model, dimension: space.dimension, current: embedder.modelName)
        }
        let raw: [[Float]]
        do {
            raw = try await embedder.embed([text])
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ScrapbookError(
                .embedderFailed,
                "the embedder '\(space.model)' failed to embed the query: \(error). Check that the embedding server is running, or search with mode text")
        }
        guard raw.count == 1, let vector = VectorMath.normalized(raw[0]) else {
            throw ScrapbookError(
                .badEmbedding, "the embedder '\(space.model)' returned no usable vector for the query: check the embedding server")
        }
        guard vector.count == space.dimension else {
            throw ScrapbookError(
                .dimensionMismatch,
                "the embedder '\(space.model)' now returns vectors of dimension \(vector.count) but the memories have dimension \(space.dimension): run `a4ps memory reindex --reembed` (Scrapbook.reembed())")
        }
        return vector
    }
}
