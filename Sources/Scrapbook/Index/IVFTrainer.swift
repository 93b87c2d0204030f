/// Trains IVF centroids (synchronously, on the calling thread and helpers of its own: run it through
/// `OffPool.run`) with spherical k-means (k-means++ seeding, on a deterministic sample) and assigns every vector to one.
struct IVFTrainer: Sendable {
    let dimension: Int
    let partitionCount: Int
    let iterations: Int
    let samplesPerPartition: Int
    let seed: UInt64

    /// A new IVF index holding every vector of `snapshot`, partitioned by freshly trained centroids.
    func train(_ snapshot: VectorIndex) -> VectorIndex {
        let n = snapshot.count
        let k = max(1, min(partitionCount, n))
        var random = SeededGenerator(seed: seed)
        let sample = gatherSample(snapshot, size: min(n, max(k, k * samplesPerPartition)), using: &random)
        let centroids = kMeans(sample: sample, k: k, using: &random)
        return assignAll(snapshot, centroids: centroids)
    }

    // MARK: - Sampling

    private func gatherSample(_ index: VectorIndex, size: Int, using random: inout SeededGenerator) -> [Float] {
        let n = index.count
        var chosen = Array(0..<n)
        if size < n {
            for i in 0..<size {
                let j = Int.random(in: i..<n, using: &random)
                chosen.swapAt(i, j)
            }
            chosen.removeSubrange(size...)
            chosen.sort()  // read the partitions in order
        }
        var sample: [Float] = []
        sample.reserveCapacity(size * dimension)
        var partition = 0
        var firstOfPartition = 0
        for global in chosen {
            while global >= firstOfPartition + index.partitions[partition].count {
                firstOfPartition += index.partitions[partition].count
                partition += 1
            }
            let row = global - firstOfPartition
            index.partitions[partition].vectors.withUnsafeBufferPointer { v in
                sample.append(contentsOf: UnsafeBufferPointer(rebasing: v[row * dimension..<(row + 1) * dimension]))
            }
        }
        return sample
    }

    // MARK: - k-means

    private func kMeans(sample: [Float], k: Int, using random: inout SeededGenerator) -> [Float] {
        let d = dimension
        let m = sample.count / d
        var centroids = seedPlusPlus(sample: sample, k: k, using: &random)
        var labels = [Int32](repeating: 0, count: m)
        for _ in 0..<iterations {
            let newLabels = assign(sample, rows: m, centroids: centroids)
            let changed = zip(labels, newLabels).reduce(0) { $0 + ($1.0 != $1.1 ? 1 : 0) }
            labels = newLabels
            centroids = update(sample: sample, labels: labels, k: k, previous: centroids, using: &random)
            if changed == 0 { break }
        }
        return centroids
    }

    /// k-means++: each next centroid is a sample point drawn with probability ∝ its distance² to the chosen ones.
    private func seedPlusPlus(sample: [Float], k: Int, using random: inout SeededGenerator) -> [Float] {
        let d = dimension
        let m = sample.count / d
        var centroids: [Float] = []
        centroids.reserveCapacity(k * d)
        var first = Int.random(in: 0..<m, using: &random)
        var distances = [Float](repeating: .infinity, count: m)
        for _ in 0..<k {
            centroids.append(contentsOf: sample[first * d..<(first + 1) * d])
            let center = Array(sample[first * d..<(first + 1) * d])
            let current = distances
            let chunks = Parallel.map(count: m, chunkSize: 4096) { range -> [Float] in
                sample.withUnsafeBufferPointer { s in
                    center.withUnsafeBufferPointer { c in
                        range.map { i in
                            // For unit vectors, squared distance = 2 − 2·similarity.
                            let dist = max(0, 2 - 2 * VectorMath.dot(c.baseAddress!, s.baseAddress! + i * d, count: d))
                            return min(current[i], dist)
                        }
                    }
                }
            }
            distances = chunks.flatMap { $0 }
            let total = distances.reduce(Double(0)) { $0 + Double($1) }
            guard total > 0 else {
                first = Int.random(in: 0..<m, using: &random)
                continue
            }
            var target = Double.random(in: 0..<total, using: &random)
            first = m - 1
            for i in 0..<m {
                target -= Double(distances[i])
                if target < 0 {
                    first = i
                    break
                }
            }
        }
        return centroids
    }

    private func assign(_ vectors: [Float], rows: Int, centroids: [Float]) -> [Int32] {
        let nearest = NearestCentroid(dimension: dimension, centroids: centroids)
        let d = dimension
        let chunks = Parallel.map(count: rows, chunkSize: 2048) { range -> [Int32] in
            var labels = [Int32](repeating: 0, count: range.count)
            vectors.withUnsafeBufferPointer { v in
                labels.withUnsafeMutableBufferPointer { l in
                    nearest.assign(
                        v.baseAddress! + range.lowerBound * d, rows: range.count,
                        into: l.baseAddress!, similarities: nil)
                }
            }
            return labels
        }
        return chunks.flatMap { $0 }
    }

    /// New centroids: the normalized sum of their members; an empty one splits the largest cluster.
    private func update(
        sample: [Float], labels: [Int32], k: Int, previous: [Float], using random: inout SeededGenerator
    ) -> [Float] {
        let d = dimension
        var sums = [Float](repeating: 0, count: k * d)
        var sizes = [Int](repeating: 0, count: k)
        sample.withUnsafeBufferPointer { s in
            sums.withUnsafeMutableBufferPointer { out in
                for (i, label) in labels.enumerated() {
                    let c = Int(label)
                    sizes[c] += 1
                    let dst = out.baseAddress! + c * d
                    let src = s.baseAddress! + i * d
                    for j in 0..<d { dst[j] += src[j] }
                }
            }
        }
        for c in 0..<k where sizes[c] == 0 {
            let largest = sizes.indices.max { sizes[$0] < sizes[$1] }!
            // Split the largest cluster in two along a random direction.
            let base = sizes[largest] > 0 ? Array(sums[largest * d..<(largest + 1) * d]) : Array(previous[largest * d..<(largest + 1) * d])
            let norm = max(1e-12, VectorMath.dot(base, base).squareRoot())
            for j in 0..<d {
                let noise = random.nextGaussian() * 1e-3 * norm / Float(d).squareRoot()
                sums[c * d + j] = base[j] + noise
                sums[largest * d + j] = base[j] - noise
            }
            sizes[c] = sizes[largest] / 2
            sizes[largest] -= sizes[c]
        }
        sums.withUnsafeMutableBufferPointer { out in
            for c in 0..<k {
                VectorMath.normalize(out.baseAddress! + c * d, count: d)
            }
        }
        return sums
    }

    // MARK: - Assignment of every vector

    private func assignAll(_ snapshot: VectorIndex, centroids: [Float]) -> VectorIndex {
        let d = dimension
        let nearest = NearestCentroid(dimension: d, centroids: centroids)
        // Work items: (partition, first row, row count), a few thousand rows each.
        var items: [(partition: Int, start: Int, rows: Int)] = []
        for (p, partition) in snapshot.partitions.enumerated() {
            var start = 0
            while start < partition.count {
                let rows = min(4096, partition.count - start)
                items.append((p, start, rows))
                start += rows
            }
        }
        let workItems = items
        let labelChunks = Parallel.map(count: workItems.count, chunkSize: 1) { range -> [Int32] in
            let item = workItems[range.lowerBound]
            var labels = [Int32](repeating: 0, count: item.rows)
            snapshot.partitions[item.partition].vectors.withUnsafeBufferPointer { v in
                labels.withUnsafeMutableBufferPointer { l in
                    nearest.assign(v.baseAddress! + item.start * d, rows: item.rows, into: l.baseAddress!, similarities: nil)
                }
            }
            return labels
        }
        var index = VectorIndex(
            dimension: d, centroids: centroids, trainedCount: snapshot.count, codes: snapshot.codes)
        var sizes = [Int](repeating: 0, count: nearest.count)
        for labels in labelChunks {
            for label in labels { sizes[Int(label)] += 1 }
        }
        index.reserve(partitionSizes: sizes)
        for (item, labels) in zip(workItems, labelChunks) {
            let partition = snapshot.partitions[item.partition]
            partition.vectors.withUnsafeBufferPointer { v in
                for (offset, label) in labels.enumerated() {
                    let row = item.start + offset
                    index.append(
                        id: partition.ids[row],
                        vector: UnsafeBufferPointer(rebasing: v[row * d..<(row + 1) * d]),
                        attributes: partition.attributes[row], partition: Int(label))
                }
            }
        }
        return index
    }
}
