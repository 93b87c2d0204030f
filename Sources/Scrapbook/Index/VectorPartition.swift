/// One IVF partition (or the whole set, for exact search): ids, attributes and unit vectors stored contiguously.
struct VectorPartition: Sendable {
    var ids: [Int64] = []
    var attributes: [VectorAttributes] = []
    /// `count × dimension` floats, row after row, so that a scan reads memory sequentially.
    var vectors: [Float] = []

    var count: Int { ids.count }

    mutating func append(id: Int64, vector: UnsafeBufferPointer<Float>, attributes: VectorAttributes) {
        ids.append(id)
        self.attributes.append(attributes)
        vectors.append(contentsOf: vector)
    }

    mutating func reserve(_ capacity: Int, dimension: Int) {
        ids.reserveCapacity(capacity)
        attributes.reserveCapacity(capacity)
        vectors.reserveCapacity(capacity * dimension)
    }

    /// Scores every (matching) vector of the partition against `query` into `top`.
    func scan(
        query: UnsafePointer<Float>, dimension: Int, filter: VectorFilter?, into top: inout TopK
    ) {
        let n = ids.count
        guard n > 0 else { return }
        vectors.withUnsafeBufferPointer { buffer in
            let base = buffer.baseAddress!
            ids.withUnsafeBufferPointer { idBuffer in
                if let filter {
                    attributes.withUnsafeBufferPointer { attrs in
                        for row in 0..<n where filter.matches(attrs[row]) {
                            let score = VectorMath.dot(query, base + row &* dimension, count: dimension)
                            if score > top.threshold { top.insert(score: score, id: idBuffer[row]) }
                        }
                    }
                } else {
                    var threshold = top.threshold
                    for row in 0..<n {
                        let score = VectorMath.dot(query, base + row &* dimension, count: dimension)
                        if score > threshold {
                            top.insert(score: score, id: idBuffer[row])
                            threshold = top.threshold
                        }
                    }
                }
            }
        }
    }

    /// Bytes this partition holds in memory (payload, not allocator overhead).
    var memoryBytes: Int {
        vectors.capacity * MemoryLayout<Float>.stride + ids.capacity * MemoryLayout<Int64>.stride
            + attributes.capacity * MemoryLayout<VectorAttributes>.stride
    }
}
