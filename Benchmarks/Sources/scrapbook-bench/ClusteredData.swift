import Scrapbook
import Foundation

/// Deterministic synthetic embeddings: unit vectors around cluster centers, which themselves group
/// into super-clusters (so that neighbouring clusters overlap a little, as topics do).
struct ClusteredData {
    let dimension: Int
    /// Row-major `count × dimension` unit vectors.
    var vectors: [Float]
    /// Row-major `queries × dimension` unit vectors, drawn near the same clusters.
    var queries: [Float]
    var count: Int { vectors.count / dimension }
    var queryCount: Int { queries.count / dimension }

    init(count: Int, queryCount: Int, dimension: Int, clusters: Int, spread: Float, seed: UInt64) {
        self.dimension = dimension
        var random = SeededGenerator(seed: seed)
        let superCount = max(4, clusters / 10)
        let supers = (0..<superCount).map { _ in Self.unit((0..<dimension).map { _ in random.nextGaussian() }) }
        let centers = (0..<clusters).map { c -> [Float] in
            let direction = Self.unit((0..<dimension).map { _ in random.nextGaussian() })
            return Self.unit(zip(supers[c % superCount], direction).map { $0 + $1 })
        }
        // Uneven cluster sizes, as real memories are.
        let weights = (0..<clusters).map { _ in Double.random(in: 0.25...1.75, using: &random) }
        var cumulative: [Double] = []
        var total = 0.0
        for w in weights {
            total += w
            cumulative.append(total)
        }
        func pickCluster() -> Int {
            let r = Double.random(in: 0..<total, using: &random)
            var low = 0
            var high = clusters - 1
            while low < high {
                let mid = (low + high) / 2
                if cumulative[mid] > r { high = mid } else { low = mid + 1 }
            }
            return low
        }
        let sigma = spread / Float(dimension).squareRoot()
        func sample(_ center: [Float]) -> [Float] {
            Self.unit(center.map { $0 + sigma * random.nextGaussian() })
        }
        vectors = []
        vectors.reserveCapacity(count * dimension)
        for _ in 0..<count { vectors += sample(centers[pickCluster()]) }
        queries = []
        queries.reserveCapacity(queryCount * dimension)
        for _ in 0..<queryCount { queries += sample(centers[pickCluster()]) }
    }

    func vector(_ i: Int) -> [Float] { Array(vectors[i * dimension..<(i + 1) * dimension]) }
    func query(_ i: Int) -> [Float] { Array(queries[i * dimension..<(i + 1) * dimension]) }

    static func unit(_ v: [Float]) -> [Float] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }
}

