import Scrapbook

/// Hands out the synthetic vectors: the memory text "v17" embeds to row 17.
struct BenchEmbedder: Embedder {
    let modelName = "bench-synthetic"
    let data: ClusteredData?

    func embed(_ texts: [String]) async throws -> [[Float]] {
        guard let data else { throw BenchError("this scrapbook only loads; it embeds nothing") }
        return try texts.map { text in
            guard text.hasPrefix("v"), let i = Int(text.dropFirst()), i < data.count else {
                throw BenchError("no synthetic vector for '\(text)'")
            }
            return data.vector(i)
        }
    }
}
