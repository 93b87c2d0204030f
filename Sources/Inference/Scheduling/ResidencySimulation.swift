/// Offline counts of model loads for a known call sequence: what `sequential`, LRU (`budget`),
/// Belady's furthest-next-use rule and the exact optimum cost. Used by the benchmark and tests.
public enum ResidencySimulation {
    /// Loads under `sequential`: one per call.
    public static func sequentialLoads(_ sequence: [String]) -> Int { sequence.count }

    /// Loads under least-recently-used eviction (what the `budget` policy does).
    public static func lruLoads(_ sequence: [String], sizes: [String: Int64], budget: Int64) -> Int {
        var resident: [String: Int] = [:]  // model -> last use
        var loads = 0
        for (time, model) in sequence.enumerated() {
            if resident[model] == nil {
                loads += 1
                while !resident.isEmpty, used(resident, sizes) + sizes[model, default: 0] > budget {
                    let victim = resident.min { $0.value < $1.value }!.key
                    resident.removeValue(forKey: victim)
                }
            }
            resident[model] = time
        }
        return loads
    }

    /// Loads under the `budget` policy's rule (``ModelManager``): least recently used first, sparing
    /// victims whose unload is not needed.
    public static func budgetPolicyLoads(_ sequence: [String], sizes: [String: Int64], budget: Int64) -> Int {
        var resident: [String: UInt64] = [:]  // model -> last use
        var loads = 0
        for (time, model) in sequence.enumerated() {
            if resident[model] == nil {
                loads += 1
                let used = resident.keys.reduce(0) { $0 + sizes[$1, default: 0] }
                let idle = resident.map { (name: $0.key, bytes: sizes[$0.key, default: 0], lastUsed: $0.value) }
                let victims = ResidentSet.evictionPlan(idle: idle, free: budget - used, needed: sizes[model, default: 0]) ?? Array(resident.keys)
                for victim in victims { resident.removeValue(forKey: victim) }
            }
            resident[model] = UInt64(time + 1)
        }
        return loads
    }

    /// Loads under Belady's rule generalised to sizes: evict the model whose next use is furthest away.
    public static func beladyLoads(_ sequence: [String], sizes: [String: Int64], budget: Int64) -> Int {
        var resident: Set<String> = []
        var loads = 0
        for (time, model) in sequence.enumerated() where !resident.contains(model) {
            loads += 1
            while !resident.isEmpty, resident.reduce(0, { $0 + sizes[$1, default: 0] }) + sizes[model, default: 0] > budget {
                let victim = resident.max { nextUse($0, after: time, in: sequence) < nextUse($1, after: time, in: sequence) }!
                resident.remove(victim)
            }
            resident.insert(model)
        }
        return loads
    }

    /// The true minimum number of loads (dynamic programming over resident sets; exact for any sizes).
    public static func optimalLoads(_ sequence: [String], sizes: [String: Int64], budget: Int64) -> Int {
        let models = Array(Set(sequence)).sorted()
        precondition(models.count <= 16, "exact optimum is computed for at most 16 distinct models")
        let index = Dictionary(uniqueKeysWithValues: models.enumerated().map { ($1, $0) })
        let fullMask = (1 << models.count) - 1
        func bytes(_ mask: Int) -> Int64 {
            var total: Int64 = 0
            for i in 0..<models.count where mask & (1 << i) != 0 { total += sizes[models[i], default: 0] }
            return total
        }
        var best: [Int: Int] = [0: 0]
        for model in sequence {
            let bit = 1 << index[model]!
            var next: [Int: Int] = [:]
            for (state, cost) in best {
                let added = cost + (state & bit == 0 ? 1 : 0)
                let pool = (state | bit) & fullMask
                // Every subset of what is resident plus the new model that keeps it and fits.
                var subset = pool
                while true {
                    if subset & bit != 0, subset == bit || bytes(subset) <= budget {
                        next[subset] = min(next[subset] ?? .max, added)
                    }
                    if subset == 0 { break }
                    subset = (subset - 1) & pool
                }
            }
            best = next
        }
        return best.values.min() ?? 0
    }

    private static func used(_ resident: [String: Int], _ sizes: [String: Int64]) -> Int64 {
        resident.keys.reduce(0) { $0 + sizes[$1, default: 0] }
    }

    private static func nextUse(_ model: String, after time: Int, in sequence: [String]) -> Int {
        var t = time + 1
        while t < sequence.count {
            if sequence[t] == model { return t }
            t += 1
        }
        return Int.max
    }
}
