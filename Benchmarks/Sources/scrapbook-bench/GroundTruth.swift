import Foundation

/// Exact top-k neighbours by brute force, written independently of the Scrapbook's index code.
enum GroundTruth {
    /// For each query, the row numbers of its `k` most similar vectors (best first).
    static func topK(_ data: ClusteredData, k: Int) -> [[Int]] {
        let d = data.dimension
        let n = data.count
        let shared = Shared(results: .allocate(capacity: data.queryCount))
        shared.results.initialize(repeating: [])
        defer { shared.results.deallocate() }
        data.vectors.withUnsafeBufferPointer { vectorBuffer in
            data.queries.withUnsafeBufferPointer { queryBuffer in
                let buffers = Shared(results: shared.results, vectors: vectorBuffer, queries: queryBuffer)
                DispatchQueue.concurrentPerform(iterations: data.queryCount) { qi in
                    let vectors = buffers.vectors!
                    let queries = buffers.queries!
                    let results = buffers.results
                    let q = queries.baseAddress! + qi * d
                    var best: [(score: Float, row: Int)] = []
                    var threshold = -Float.infinity
                    for row in 0..<n {
                        let v = vectors.baseAddress! + row * d
                        var acc = SIMD8<Float>()
                        var j = 0
                        while j + 8 <= d {
                            acc += UnsafeRawPointer(q + j).loadUnaligned(as: SIMD8<Float>.self)
                                * UnsafeRawPointer(v + j).loadUnaligned(as: SIMD8<Float>.self)
                            j += 8
                        }
                        var score = acc.sum()
                        while j < d {
                            score += q[j] * v[j]
                            j += 1
                        }
                        if best.count < k || score > threshold {
                            best.append((score, row))
                            if best.count > k {
                                best.sort { $0.score > $1.score }
                                best.removeLast(best.count - k)
                            }
                            threshold = best.count < k ? -.infinity : best.map(\.score).min()!
                        }
                    }
                    results[qi] = best.sorted { $0.score > $1.score }.map(\.row)
                }
            }
        }
        return Array(shared.results)
    }

    /// Buffers read by every worker; each worker writes only its own query's slot of `results`.
    private struct Shared: @unchecked Sendable {
        var results: UnsafeMutableBufferPointer<[Int]>
        var vectors: UnsafeBufferPointer<Float>?
        var queries: UnsafeBufferPointer<Float>?
    }
}
