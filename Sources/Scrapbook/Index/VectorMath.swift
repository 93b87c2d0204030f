import Foundation

/// The float kernels of vector search: inner products, normalization and blob coding.
enum VectorMath {
    /// The inner product of two vectors of `count` floats; SIMD with two independent
    /// accumulators so that the loop is limited by loads, not by the add latency.
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let ra = UnsafeRawPointer(a)
        let rb = UnsafeRawPointer(b)
        var s0 = SIMD16<Float>()
        var s1 = SIMD16<Float>()
        var i = 0
        while i &+ 32 <= count {
            let offset = i &* 4
            s0 += ra.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            s1 += ra.loadUnaligned(fromByteOffset: offset &+ 64, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: offset &+ 64, as: SIMD16<Float>.self)
            i &+= 32
        }
        if i &+ 16 <= count {
            let offset = i &* 4
            s0 += ra.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                * rb.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            i &+= 16
        }
        var sum = (s0 + s1).sum()
        while i < count {
            sum += a[i] * b[i]
            i &+= 1
        }
        return sum
    }

    static func dot(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count)
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                guard let x = pa.baseAddress, let y = pb.baseAddress else { return 0 }
                return dot(x, y, count: a.count)
            }
        }
    }

    /// The vector scaled to unit length, or nil when it is empty, zero or not finite.
    static func normalized(_ vector: [Float]) -> [Float]? {
        guard !vector.isEmpty else { return nil }
        var norm: Double = 0
        for x in vector {
            guard x.isFinite else { return nil }
            norm += Double(x) * Double(x)
        }
        guard norm > 0, norm.isFinite else { return nil }
        let scale = Float(1 / norm.squareRoot())
        return vector.map { $0 * scale }
    }

    /// Scales `count` floats in place to unit length (a zero vector stays zero).
    static func normalize(_ v: UnsafeMutablePointer<Float>, count: Int) {
        let norm = dot(v, v, count: count).squareRoot()
        guard norm > 0 else { return }
        let scale = 1 / norm
        for i in 0..<count { v[i] *= scale }
    }

    /// Float32 little-endian bytes, the layout of the `vector` columns.
    static func blob(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    /// The floats of a blob (copied: SQLite gives no alignment guarantee for blob bytes).
    static func floats(blob: Data) -> [Float] {
        let count = blob.count / MemoryLayout<Float>.size
        var result = [Float](repeating: 0, count: count)
        result.withUnsafeMutableBytes { destination in
            blob.withUnsafeBytes { source in
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<count * MemoryLayout<Float>.size]))
            }
        }
        return result
    }
}
