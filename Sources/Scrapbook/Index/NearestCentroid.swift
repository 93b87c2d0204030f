/// Assigns unit vectors to their most similar centroid, four rows at a time so each centroid load serves four rows.
struct NearestCentroid: Sendable {
    let dimension: Int
    let centroids: [Float]
    var count: Int { centroids.count / dimension }

    /// For each of `rows` vectors starting at `base`: the best centroid and its similarity.
    func assign(
        _ base: UnsafePointer<Float>, rows: Int,
        into labels: UnsafeMutablePointer<Int32>, similarities: UnsafeMutablePointer<Float>?
    ) {
        let d = dimension
        let k = count
        centroids.withUnsafeBufferPointer { cb in
            let c = cb.baseAddress!
            var row = 0
            while row + 4 <= rows {
                var best = SIMD4<Float>(repeating: -.infinity)
                var bestIndex = SIMD4<Int32>(repeating: 0)
                let r0 = base + row * d
                for j in 0..<k {
                    let s = Self.dot4(c + j * d, r0, r0 + d, r0 + 2 * d, r0 + 3 * d, count: d)
                    let better = s .> best
                    best.replace(with: s, where: better)
                    bestIndex.replace(with: SIMD4(repeating: Int32(j)), where: better)
                }
                for lane in 0..<4 {
                    labels[row + lane] = bestIndex[lane]
                    similarities?[row + lane] = best[lane]
                }
                row += 4
            }
            while row < rows {
                var best = -Float.infinity
                var bestIndex: Int32 = 0
                for j in 0..<k {
                    let s = VectorMath.dot(c + j * d, base + row * d, count: d)
                    if s > best {
                        best = s
                        bestIndex = Int32(j)
                    }
                }
                labels[row] = bestIndex
                similarities?[row] = best
                row += 1
            }
        }
    }

    /// Inner products of one vector with four others.
    @inline(__always)
    static func dot4(
        _ a: UnsafePointer<Float>, _ b0: UnsafePointer<Float>, _ b1: UnsafePointer<Float>,
        _ b2: UnsafePointer<Float>, _ b3: UnsafePointer<Float>, count: Int
    ) -> SIMD4<Float> {
        var s0 = SIMD16<Float>()
        var s1 = SIMD16<Float>()
        var s2 = SIMD16<Float>()
        var s3 = SIMD16<Float>()
        let ra = UnsafeRawPointer(a)
        let r0 = UnsafeRawPointer(b0)
        let r1 = UnsafeRawPointer(b1)
        let r2 = UnsafeRawPointer(b2)
        let r3 = UnsafeRawPointer(b3)
        var i = 0
        while i &+ 16 <= count {
            let o = i &* 4
            let x = ra.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            s0 += x * r0.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            s1 += x * r1.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            s2 += x * r2.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            s3 += x * r3.loadUnaligned(fromByteOffset: o, as: SIMD16<Float>.self)
            i &+= 16
        }
        var result = SIMD4<Float>(s0.sum(), s1.sum(), s2.sum(), s3.sum())
        while i < count {
            let x = a[i]
            result += SIMD4(x * b0[i], x * b1[i], x * b2[i], x * b3[i])
            i &+= 1
        }
        return result
    }
}
