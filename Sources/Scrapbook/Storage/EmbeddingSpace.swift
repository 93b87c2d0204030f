/// An embedding model and the dimension of its vectors: vectors are comparable only within one space.
struct EmbeddingSpace: Sendable, Hashable, CustomStringConvertible {
    var model: String
    var dimension: Int

    var description: String { "'\(model)' (dimension \(dimension))" }
}
