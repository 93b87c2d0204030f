import Foundation

extension ScriptedServerState {
    /// Ollama's default `keep_alive`: five minutes.
    static let defaultKeepAlive = 300.0

    private func tick() -> UInt64 {
        clock += 1
        return clock
    }

    var residentBytes: Int64 { resident.values.reduce(0) { $0 + $1.bytes } }

    private func notePeak() {
        stats.peakResidentBytes = max(stats.peakResidentBytes, residentBytes)
    }

    /// Drops idle models whose keep-alive ran out (each counts as an unload, as in Ollama).
    func purgeExpired() {
        let now = Date()
        for (name, entry) in resident where entry.busy == 0 {
            if let expiry = entry.expiresAt, expiry <= now {
                resident.removeValue(forKey: name)
                stats.unloads += 1
            }
        }
    }

    /// Evicts idle models, least recently used first, until `bytes` more fit in `vram_gb`.
    private func makeRoom(for bytes: Int64) {
        guard let vram = script.vramGB else { return }
        let capacity = Int64((vram * 1e9).rounded())
        while residentBytes + bytes > capacity {
            guard let victim = resident.filter({ $0.value.busy == 0 }).min(by: { $0.value.lastUsed < $1.value.lastUsed })?.key else { return }
            resident.removeValue(forKey: victim)
            stats.unloads += 1
            stats.serverEvictions += 1
        }
    }

    /// Makes the model resident (simulating its load time) and marks it in use; returns the load time spent.
    ///
    /// Concurrent requests for a model that is loading wait for that one load. The load task
    /// itself records the model as resident before it completes, so a waiter resumed before the
    /// request that started the load finds it resident (the waiter once re-awaited the finished
    /// task forever, recursing on the actor until memory ran out).
    func beginUse(_ model: Script.Model) async -> Duration {
        let start = ContinuousClock.now
        var startedLoad = false
        while true {
            purgeExpired()
            if var entry = resident[model.name] {
                entry.busy += 1
                entry.lastUsed = tick()
                resident[model.name] = entry
                return startedLoad ? ContinuousClock.now - start : .zero
            }
            if let inFlight = loading[model.name] {
                await inFlight.value
                continue
            }
            makeRoom(for: model.sizeBytes)
            let delay = Duration.milliseconds(model.loadMilliseconds)
            let task = Task {
                _ = try? await Task.sleep(for: delay)
                self.completeLoad(model)
            }
            loading[model.name] = task
            startedLoad = true
            await task.value
        }
    }

    /// Records a finished load: resident, idle until its requester marks it in use.
    private func completeLoad(_ model: Script.Model) {
        loading[model.name] = nil
        resident[model.name] = Resident(bytes: model.sizeBytes, expiresAt: Date().addingTimeInterval(Self.defaultKeepAlive), lastUsed: tick(), busy: 0)
        stats.loads += 1
        stats.loadOrder.append(model.name)
        notePeak()
    }

    /// Ends a use; applies the request's keep-alive in seconds (0 unloads, negative keeps forever).
    func endUse(_ name: String, keepAlive: Double?) {
        guard var entry = resident[name] else { return }
        entry.busy = max(0, entry.busy - 1)
        entry.lastUsed = tick()
        let seconds = keepAlive ?? Self.defaultKeepAlive
        if seconds < 0 {
            entry.expiresAt = nil
        } else {
            entry.expiresAt = Date().addingTimeInterval(seconds)
        }
        resident[name] = entry
        if seconds == 0, entry.busy == 0 {
            resident.removeValue(forKey: name)
            stats.unloads += 1
        }
    }

    /// Unloads now (a request with no messages and `keep_alive: 0`); false when it was not resident.
    @discardableResult
    func unload(_ name: String) -> Bool {
        purgeExpired()
        guard let entry = resident[name] else { return false }
        if entry.busy > 0 {
            resident[name]?.expiresAt = Date()
            return true
        }
        resident.removeValue(forKey: name)
        stats.unloads += 1
        return true
    }

    /// What `/api/ps` lists.
    func running() -> [(name: String, bytes: Int64, expiresAt: Date?)] {
        purgeExpired()
        return resident.sorted { $0.key < $1.key }.map { ($0.key, $0.value.bytes, $0.value.expiresAt) }
    }

    func countRequest(chat: Bool) {
        if chat { stats.chatRequests += 1 } else { stats.embedRequests += 1 }
    }

    /// The counters, with the resident set as it is now.
    func currentStats() -> ScriptedServerStats {
        purgeExpired()
        var snapshot = stats
        snapshot.residentBytes = residentBytes
        snapshot.resident = resident.keys.sorted()
        return snapshot
    }

    // MARK: Blobs and LoRA adapters

    func hasBlob(_ digest: String) -> Bool { blobs[digest] != nil }
    func storeBlob(_ digest: String, size: Int) { blobs[digest] = size }
    func blobSize(_ digest: String) -> Int? { blobs[digest] }

    /// Adds a vLLM LoRA; false when the name is taken.
    func addLoRA(name: String, path: String, base: String) -> Bool {
        guard loras[name] == nil else { return false }
        loras[name] = (path, base)
        return true
    }

    func removeLoRA(name: String) -> Bool { loras.removeValue(forKey: name) != nil }
    var loraList: [(name: String, base: String)] { loras.sorted { $0.key < $1.key }.map { ($0.key, $0.value.base) } }
    func isLoRA(_ name: String) -> Bool { loras[name] != nil }
}
