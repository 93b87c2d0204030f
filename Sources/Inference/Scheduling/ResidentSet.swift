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

    /// Models being loaded or unloaded right now (their transitions must finish before deciding).
    var hasTransitions: Bool { entries.values.contains { $0.state != .ready } }

    var residentNames: [String] { entries.filter { $0.value.state != .loading }.keys.sorted() }
}
