import Foundation

/// Deterministic embeddings: a hashed bag of words, L2-normalised, so equal texts give equal
/// vectors and texts sharing words are close. Not a language model's meaning; for tests and demos.
public enum HashedEmbedding {
    /// The vector for `text` with `dimensions` components (unit length).
    public static func vector(for text: String, dimensions: Int) -> [Float] {
        let size = max(1, dimensions)
        var vector = [Float](repeating: 0, count: size)
        var word = ""
        func add(_ token: String) {
            let hash = fnv1a(token)
            let index = Int(hash % UInt64(size))
            vector[index] += (hash >> 63) == 0 ? 1 : -1
        }
        for character in text.lowercased() {
            if character.isLetter || character.isNumber {
                word.append(character)
            } else if !word.isEmpty {
                add(word)
                word = ""
            }
        }
        if !word.isEmpty { add(word) }
        var norm: Float = 0
        for value in vector { norm += value * value }
        if norm == 0 {
            vector[Int(fnv1a("") % UInt64(size))] = 1
            return vector
        }
        let scale = 1 / norm.squareRoot()
        for index in vector.indices { vector[index] *= scale }
        return vector
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }

    /// The vector as JSON text (`[0.1,-0.2,...]`).
    static func json(_ vector: [Float]) -> String {
        var out = "["
        out.reserveCapacity(vector.count * 10)
        for (index, value) in vector.enumerated() {
            if index > 0 { out += "," }
            out += value == 0 ? "0" : "\(value)"
        }
        return out + "]"
    }
}
