/// The in-memory vector index: one flat partition for exact search, or k-means centroids with one partition each (IVF).
///
/// An IVF index may be *partly resident*: opened with its centroids and partition sizes only,
/// each partition's vectors read from the file when a search first probes it (see
/// ``IndexStore/loadSkeleton(_:space:)``), so resident memory grows with what is probed. A vector
/// inserted into a partition not resident is only counted: the file holds it, and the partition
/// brings it along when it is read.
struct VectorIndex: Sendable {
    let dimension: Int
    /// `partitions.count × dimension` unit centroids; empty while the index is exact.
    private(set) var centroids: [Float]
    private(set) var partitions: [VectorPartition]
    /// How many vectors the centroids were trained on (0 while exact).
    var trainedCount: Int
    var codes = AttributeCodes()
    /// The imbalance right after training (or loading): retraining triggers on growth beyond it.
    var baselineImbalance: Double = 1
    /// Every vector of the index, resident or not.
    private(set) var count = 0
    /// Each partition's number of vectors, resident or not.
    private(set) var sizes: [Int]
    /// Whether each partition's vectors are in memory.
    private(set) var resident: [Bool]

    /// An exact (untrained) index.
    init(dimension: Int) {
        self.dimension = dimension
        centroids = []
        partitions = [VectorPartition()]
        trainedCount = 0
        sizes = [0]
        resident = [true]
    }

    /// An empty IVF index over the given centroids.
    init(dimension: Int, centroids: [Float], trainedCount: Int, codes: AttributeCodes) {
        precondition(!centroids.isEmpty && centroids.count % dimension == 0)
        self.dimension = dimension
        self.centroids = centroids
        self.partitions = Array(repeating: VectorPartition(), count: centroids.count / dimension)
        self.trainedCount = trainedCount
        self.codes = codes
        sizes = Array(repeating: 0, count: centroids.count / dimension)
        resident = Array(repeating: true, count: centroids.count / dimension)
    }

    /// An IVF index over the given centroids with none of its vectors in memory: `sizes` says how
    /// many each partition holds in the file. ``fill(_:with:)`` brings a partition in.
    init(dimension: Int, centroids: [Float], trainedCount: Int, codes: AttributeCodes, sizes: [Int]) {
        self.init(dimension: dimension, centroids: centroids, trainedCount: trainedCount, codes: codes)
        precondition(sizes.count == partitions.count)
        self.sizes = sizes
        count = sizes.reduce(0, +)
        resident = Array(repeating: false, count: sizes.count)
    }

    /// Whether some partition's vectors are still only in the file.
    var isPartlyResident: Bool { resident.contains(false) }

    /// How many partitions are in memory.
    var residentPartitions: Int { resident.lazy.filter { $0 }.count }

    /// Makes a partition resident with its vectors as the file holds them (already counted in ``sizes``).
    mutating func fill(_ partition: Int, with rows: VectorPartition) {
        precondition(!resident[partition])
        partitions[partition] = rows
        resident[partition] = true
    }

    /// The partitions a search for `query` scans: every one for a filtered search (it may probe
    /// past `nprobe`), else the `nprobe` nearest.
    func partitionsToScan(query: [Float], nprobe: Int, filtered: Bool) -> [Int] {
        guard isTrained else { return [0] }
        if filtered || nprobe >= partitions.count { return Array(0..<partitions.count) }
        return query.withUnsafeBufferPointer { probeOrder(query: $0.baseAddress!, nprobe: nprobe) }
    }

    var isTrained: Bool { !centroids.isEmpty }

    /// The partition a unit vector belongs in: the one with the most similar centroid.
    func nearestPartition(to vector: UnsafePointer<Float>) -> Int {
        guard isTrained else { return 0 }
        return centroids.withUnsafeBufferPointer { c in
            var best = 0
            var bestScore = -Float.infinity
            for p in 0..<partitions.count {
                let score = VectorMath.dot(vector, c.baseAddress! + p &* dimension, count: dimension)
                if score > bestScore {
                    bestScore = score
                    best = p
                }
            }
            return best
        }
    }

    func nearestPartition(to vector: [Float]) -> Int {
        vector.withUnsafeBufferPointer { nearestPartition(to: $0.baseAddress!) }
    }

    /// Adds a unit vector to the given partition (or to its nearest one when nil); returns the partition.
    @discardableResult
    mutating func insert(
        id: Int64, vector: [Float], attributes: VectorAttributes, partition: Int? = nil
    ) -> Int {
        precondition(vector.count == dimension)
        var target = partition ?? nearestPartition(to: vector)
        if target < 0 || target >= partitions.count { target = nearestPartition(to: vector) }
        if resident[target] {
            vector.withUnsafeBufferPointer { partitions[target].append(id: id, vector: $0, attributes: attributes) }
        }
        sizes[target] += 1
        count += 1
        return target
    }

    /// Adds a unit vector to a given partition, without copying it into an array first.
    mutating func append(id: Int64, vector: UnsafeBufferPointer<Float>, attributes: VectorAttributes, partition: Int) {
        precondition(resident[partition])
        partitions[partition].append(id: id, vector: vector, attributes: attributes)
        sizes[partition] += 1
        count += 1
    }

    /// Reserves room in each partition for the given number of vectors.
    mutating func reserve(partitionSizes: [Int]) {
        for (p, size) in partitionSizes.enumerated() where p < partitions.count {
            partitions[p].reserve(size, dimension: dimension)
        }
    }

    mutating func reserve(_ capacity: Int) {
        if !isTrained { partitions[0].reserve(capacity, dimension: dimension) }
    }

    /// The `limit` most similar vectors to a unit query, probing `nprobe` partitions (all when exact).
    ///
    /// With a filter, probing goes on past `nprobe` partitions, in order of centroid similarity,
    /// until `limit` matching vectors were seen or every partition was scanned.
    ///
    /// The partitions it scans (``partitionsToScan(query:nprobe:filtered:)``) must be resident.
    func search(query: [Float], limit: Int, nprobe: Int, filter: VectorFilter?) -> [ScoredMemoryID] {
        precondition(query.count == dimension)
        guard count > 0, limit > 0 else { return [] }
        var top = TopK(k: limit)
        let filter = (filter?.isEmpty ?? true) ? nil : filter
        query.withUnsafeBufferPointer { q in
            let qp = q.baseAddress!
            guard isTrained else {
                partitions[0].scan(query: qp, dimension: dimension, filter: filter, into: &top)
                return
            }
            let order = probeOrder(query: qp, nprobe: filter == nil ? nprobe : partitions.count)
            for (probed, p) in order.enumerated() {
                if probed >= nprobe, filter == nil || top.isFull { break }
                precondition(resident[p], "partition \(p) is searched before it was read from the file")
                partitions[p].scan(query: qp, dimension: dimension, filter: filter, into: &top)
            }
        }
        return top.results
    }

    /// Partitions by decreasing centroid similarity to the query; only the best `nprobe` are ordered.
    private func probeOrder(query: UnsafePointer<Float>, nprobe: Int) -> [Int] {
        let k = partitions.count
        var scores = [Float](repeating: 0, count: k)
        centroids.withUnsafeBufferPointer { c in
            for p in 0..<k {
                scores[p] = VectorMath.dot(query, c.baseAddress! + p &* dimension, count: dimension)
            }
        }
        if nprobe >= k {
            return (0..<k).sorted { scores[$0] > scores[$1] }
        }
        var best = TopK(k: nprobe)
        for p in 0..<k { best.insert(score: scores[p], id: Int64(p)) }
        return best.ids.map { Int($0) }
    }

    /// Size of the smallest and largest partitions, and largest ÷ mean (1 is perfect balance).
    var balance: (smallest: Int, largest: Int, imbalance: Double) {
        let largest = sizes.max() ?? 0
        let smallest = sizes.min() ?? 0
        let mean = Double(count) / Double(max(1, partitions.count))
        return (smallest, largest, mean > 0 ? Double(largest) / mean : 1)
    }

    /// Bytes held in memory by vectors, ids, attributes and centroids.
    var memoryBytes: Int {
        partitions.reduce(centroids.capacity * MemoryLayout<Float>.stride) { $0 + $1.memoryBytes }
    }

    /// Every stored vector's id with its partition, for persisting assignments (of a fully resident index).
    func assignments() -> [(id: Int64, partition: Int)] {
        precondition(!isPartlyResident)
        var result: [(Int64, Int)] = []
        result.reserveCapacity(count)
        for (p, partition) in partitions.enumerated() {
            for id in partition.ids { result.append((id, p)) }
        }
        return result
    }
}
