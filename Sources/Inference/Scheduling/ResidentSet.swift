/// The models one server holds in VRAM, as the scheduler accounts for them.
struct ResidentSet: Sendable {
    enum State: Sendable { case loading, ready, unloading }

    struct Entry: Sendable {
        var bytes: Int64
        var lastUsed: UInt64
        var pins: Int
        var state: State
    }

    let budgetBytes: Int64
    var entries: [String: Entry] = [:]
    var peakBytes: Int64 = 0
    /// Whether it was read from the server (`/api/ps`) at least once.
    var synced = false

    init(budgetBytes: Int64) {
        self.budgetBytes = budgetBytes
    }

    var totalBytes: Int64 { entries.values.reduce(0) { $0 + $1.bytes } }
    var freeBytes: Int64 { budgetBytes - totalBytes }

    mutating func notePeak() { peakBytes = max(peakBytes, totalBytes) }

    /// The least recently used model that may be unloaded now (ready, not in use), other than `model`.
    func evictionCandidate(sparing model: String) -> String? {
        entries.filter { $0.key != model && $0.value.state == .ready && $0.value.pins == 0 }
            .min { $0.value.lastUsed == $1.value.lastUsed ? $0.key < $1.key : $0.value.lastUsed < $1.value.lastUsed }?.key
    }

    /// The models to unload so that `bytes` more fit: least recently used first, then sparing
    /// (most recently used first) any victim whose unload turns out not to be needed.
    /// Nil when even unloading every idle model would not make room.
    func evictionPlan(toFit bytes: Int64, sparing model: String) -> [String]? {
        let idle = entries.filter { $0.key != model && $0.value.state == .ready && $0.value.pins == 0 }
            .map { (name: $0.key, bytes: $0.value.bytes, lastUsed: $0.value.lastUsed) }
        return Self.evictionPlan(idle: idle, free: freeBytes, needed: bytes)
    }

    /// The eviction rule on its own, shared with ``ResidencySimulation``.
    static func evictionPlan(idle: [(name: String, bytes: Int64, lastUsed: UInt64)], free: Int64, needed: Int64) -> [String]? {
        var free = free
        var chosen: [(name: String, bytes: Int64)] = []
        for candidate in idle.sorted(by: { $0.lastUsed == $1.lastUsed ? $0.name < $1.name : $0.lastUsed < $1.lastUsed }) {
            if free >= needed { break }
            chosen.append((candidate.name, candidate.bytes))
            free += candidate.bytes
        }
        guard free >= needed else { return nil }
        var victims: [String] = []
        for candidate in chosen.reversed() {
            if free - candidate.bytes >= needed {
                free -= candidate.bytes
            } else {
                victims.append(candidate.name)
            }
        }
        return victims.reversed()
    }

    /// Models being loaded or unloaded right now (their transitions must finish before deciding).
    var hasTransitions: Bool { entries.values.contains { $0.state != .ready } }

    var residentNames: [String] { entries.filter { $0.value.state != .loading }.keys.sorted() }
}
