import Foundation
import Scrapbook
import Synchronization

/// A deterministic bag-of-words embedder: each word adds ±1 to a hashed coordinate, so texts that
/// share words have similar vectors. Counts its calls.
final class WordHashEmbedder: Embedder {
    let modelName: String
    let dimension: Int
    private let calls = Mutex(0)
    private let texts = Mutex(0)

    init(modelName: String = "test-words", dimension: Int = 64) {
        self.modelName = modelName
        self.dimension = dimension
    }

    var callCount: Int { calls.withLock { $0 } }
    var textCount: Int { texts.withLock { $0 } }

    func embed(_ batch: [String]) async throws -> [[Float]] {
        calls.withLock { $0 += 1 }
        texts.withLock { $0 += batch.count }
        return batch.map(vector(for:))
    }

    func vector(for text: String) -> [Float] {
        var v = [Float](repeating: 0, count: dimension)
        let words = text.lowercased().split { !$0.isLetter && !$0.isNumber }
        for word in words {
            let h = fnv(word)
            v[Int(h % UInt64(dimension))] += (h >> 63) == 0 ? 1 : -1
        }
        // Never a zero vector: a small constant bias keeps every text embeddable.
        v[0] += 0.01
        return v
    }

    private func fnv(_ word: Substring) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in word.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }
}

/// Looks vectors up by text ("v17" → the 17th vector); for tests of the vector index itself.
final class TableEmbedder: Embedder {
    let modelName: String
    let vectors: [[Float]]

    init(modelName: String = "test-table", vectors: [[Float]]) {
        self.modelName = modelName
        self.vectors = vectors
    }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        texts.map { text in
            guard text.hasPrefix("v"), let i = Int(text.dropFirst()), vectors.indices.contains(i) else {
                return vectors[abs(text.hashValue) % vectors.count]
            }
            return vectors[i]
        }
    }
}

struct EmbeddingServerDown: Error, CustomStringConvertible {
    var description: String { "connection refused (simulated)" }
}

/// Wraps an embedder and fails from its `failAt`-th call on (1-based), until `heal()`.
final class FlakyEmbedder: Embedder {
    let inner: any Embedder
    private let state: Mutex<(calls: Int, failAt: Int?)>

    init(_ inner: any Embedder, failAt: Int?) {
        self.inner = inner
        state = Mutex((0, failAt))
    }

    var modelName: String { inner.modelName }
    var callCount: Int { state.withLock { $0.calls } }

    func heal() {
        state.withLock { $0.failAt = nil }
    }

    func embed(_ texts: [String]) async throws -> [[Float]] {
        let fail = state.withLock { state -> Bool in
            state.calls += 1
            if let failAt = state.failAt { return state.calls >= failAt }
            return false
        }
        if fail { throw EmbeddingServerDown() }
        return try await inner.embed(texts)
    }
}

/// Answers with whatever vectors a closure makes: for malformed replies.
struct ScriptedEmbedder: Embedder {
    let modelName: String
    let reply: @Sendable ([String]) -> [[Float]]

    func embed(_ texts: [String]) async throws -> [[Float]] {
        reply(texts)
    }
}
