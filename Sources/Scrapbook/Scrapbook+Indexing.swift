import BlockingWork
import Foundation

extension Scrapbook {
    /// Rebuilds the vector index from the stored vectors: k-means IVF at or above the exact-search
    /// threshold, exact below it. Commits the new index in one transaction, so the old one stays
    /// valid if the process dies meanwhile; memories added during training join the new index.
    @discardableResult
    public func reindex() async throws -> IndexReport {
        if let training {
            return try await training.value
        }
        // The training covers what other processes stored too.
        try catchUp()
        let task = Task { try await self.train() }
        training = task
        defer { training = nil }
        return try await task.value
    }

    /// The state of the vector index now, loading it first if it is not in memory yet (a load
    /// that fails is logged and reported as the state in memory; the next search tries again).
    /// ``stats()`` reports without loading it.
    public func indexReport() -> IndexReport {
        do {
            try loadIndexIfNeeded()
        } catch {
            logger.warning("cannot load the memory index: \(error)")
        }
        return report(trainingSeconds: 0)
    }

    func report(trainingSeconds: Double) -> IndexReport {
        guard let index, index.count > 0 || index.isTrained else {
            return IndexReport(
                kind: .empty, vectorCount: 0, partitionCount: 0, nprobe: 0, smallestPartition: 0,
                largestPartition: 0, imbalance: 1, trainedOn: 0, trainingSeconds: trainingSeconds,
                memoryBytes: index?.memoryBytes ?? 0)
        }
        let balance = index.balance
        let partitions = index.partitions.count
        return IndexReport(
            kind: index.isTrained ? .ivf : .exact, vectorCount: index.count, partitionCount: partitions,
            nprobe: index.isTrained ? configuration.probes(for: partitions, requested: nil) : partitions,
            smallestPartition: balance.smallest, largestPartition: balance.largest,
            imbalance: balance.imbalance, trainedOn: index.trainedCount, trainingSeconds: trainingSeconds,
            memoryBytes: index.memoryBytes)
    }

    /// Whether the index should be retrained now: it crossed the exact-search threshold, grew
    /// well past what it was trained on, or its partitions became unbalanced.
    func needsTraining(_ index: VectorIndex) -> Bool {
        guard index.count >= configuration.exactSearchThreshold else { return false }
        guard index.isTrained else { return true }
        if Double(index.count) >= Double(index.trainedCount) * configuration.retrainGrowthFactor { return true }
        let limit = max(configuration.maxImbalance, index.baselineImbalance * 1.5)
        return index.balance.imbalance > limit
    }

    func retrainIfNeeded() async {
        guard configuration.automaticRetraining, training == nil else { return }
        if !indexLoaded {
            // Adding to a scrapbook whose index is not in memory loads it only when a retraining may be due.
            do {
                guard try retrainingMayBeDue() else { return }
                try loadIndexIfNeeded()
            } catch {
                logger.error("cannot tell whether the memory index needs retraining (the next addition tries again): \(error)")
                return
            }
        }
        guard let index, needsTraining(index) else { return }
        do {
            let report = try await reindex()
            logger.info(
                "retrained the memory index: \(report.partitionCount) partitions over \(report.vectorCount) vectors in \(report.trainingSeconds) s")
        } catch {
            logger.error("retraining the memory index failed (the previous index stays in use): \(error)")
        }
    }

    private func train() async throws -> IndexReport {
        // Training reads every vector: the partitions no search probed yet come in first.
        try makeFullyResident()
        guard let snapshot = index, let space, snapshot.count > 0 else { return report(trainingSeconds: 0) }
        let started = ContinuousClock.now
        let reloadsAtStart = reloads
        let rebuilt: VectorIndex
        arrivals = []
        defer { arrivals = nil }
        if snapshot.count < configuration.exactSearchThreshold {
            guard snapshot.isTrained else { return report(trainingSeconds: 0) }
            rebuilt = await OffPool.run { Self.exactCopy(of: snapshot) }
        } else {
            let trainer = IVFTrainer(
                dimension: space.dimension,
                partitionCount: configuration.partitions(for: snapshot.count),
                iterations: configuration.kMeansIterations,
                samplesPerPartition: configuration.trainingSamplesPerPartition,
                seed: configuration.seed)
            rebuilt = await OffPool.run { trainer.train(snapshot) }
        }
        // The space may have changed while training ran off the actor (reembed), or the index was
        // reloaded from what another process wrote: drop the result.
        guard self.space == space, index?.dimension == rebuilt.dimension, reloads == reloadsAtStart else {
            return report(trainingSeconds: 0)
        }
        var next = rebuilt
        for arrival in arrivals ?? [] {
            let attributes = next.codes.attributes(source: arrival.source, persona: arrival.persona, createdAt: arrival.createdAt)
            next.insert(id: arrival.id, vector: arrival.vector, attributes: attributes)
        }
        arrivals = nil
        next.baselineImbalance = next.balance.imbalance
        let lag = try persist(next, space: space)
        index = next
        absorb(lag)
        // What other processes stored while the new index was written lost its (old) assignment
        // with the old index: give it its place in the new one.
        if let missed = lag.missed, !missed.isEmpty, let placed = index {
            let assignments = missed.map { (id: $0.id, partition: placed.nearestPartition(to: $0.vector)) }
            try write { try IndexStore.saveAssignments($0, assignments) }
        }
        let seconds = (ContinuousClock.now - started).seconds
        lastTrainingSeconds = seconds
        return report(trainingSeconds: seconds)
    }

    /// Commits an index: the old one is replaced in the same transaction, or not at all. Answers
    /// what other processes stored meanwhile (see ``absorb(_:)``).
    private func persist(_ next: VectorIndex, space: EmbeddingSpace) throws -> Lag {
        let (_, lag) = try writeKeepingUp { db in
            if next.isTrained {
                try IndexStore.save(db, next, space: space, trainedAt: Date())
            } else {
                try IndexStore.clear(db)
            }
        }
        return lag
    }

    private static func exactCopy(of index: VectorIndex) -> VectorIndex {
        var exact = VectorIndex(dimension: index.dimension)
        exact.codes = index.codes
        exact.reserve(index.count)
        for partition in index.partitions {
            partition.vectors.withUnsafeBufferPointer { v in
                for row in 0..<partition.count {
                    exact.append(
                        id: partition.ids[row],
                        vector: UnsafeBufferPointer(rebasing: v[row * index.dimension..<(row + 1) * index.dimension]),
                        attributes: partition.attributes[row], partition: 0)
                }
            }
        }
        return exact
    }
}

extension Duration {
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
