/// Keeps the `k` best (highest score) entries seen so far, sorted best first.
struct TopK {
    let k: Int
    private(set) var scores: [Float] = []
    private(set) var ids: [Int64] = []

    init(k: Int) {
        self.k = k
        scores.reserveCapacity(k + 1)
        ids.reserveCapacity(k + 1)
    }

    /// The score an entry must beat to get in.
    var threshold: Float {
        scores.count < k ? -.infinity : scores[scores.count - 1]
    }

    var isFull: Bool { scores.count >= k }

    @inline(__always)
    mutating func insert(score: Float, id: Int64) {
        guard score > threshold else { return }
        var position = scores.count
        while position > 0 && scores[position - 1] < score {
            position -= 1
        }
        scores.insert(score, at: position)
        ids.insert(id, at: position)
        if scores.count > k {
            scores.removeLast()
            ids.removeLast()
        }
    }

    var results: [ScoredMemoryID] {
        zip(ids, scores).map { ScoredMemoryID(id: MemoryID($0.0), similarity: $0.1) }
    }
}
