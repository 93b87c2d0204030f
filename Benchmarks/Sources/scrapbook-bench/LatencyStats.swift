/// Percentiles of a set of latencies in milliseconds.
struct LatencyStats {
    let sorted: [Double]

    init(_ samples: [Double]) {
        sorted = samples.sorted()
    }

    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let index = min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))
        return sorted[index]
    }

    var p50: Double { percentile(50) }
    var p99: Double { percentile(99) }
    var mean: Double { sorted.reduce(0, +) / Double(max(1, sorted.count)) }
}
