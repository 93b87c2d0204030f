import AsyncHTTPClient
import Foundation
import Logging

/// The one door every model call goes through: it routes a persona to its model and server,
/// schedules the GPU so the resident models never exceed the VRAM budget, streams answers, and
/// counts loads, unloads, load time and tokens (``metrics()``, ``events()``).
///
/// Policies (``SchedulingPolicy``): `sequential` loads the model for each call and unloads it
/// afterwards (`keep_alive` 0); `budget` keeps models resident while they fit and, before loading
/// another, unloads the least recently used ones explicitly until it fits — only as many as it
/// needs: a victim whose unload turns out unnecessary (a later, larger one freed enough) is spared. Sizes are the
/// `size_vram` measured via `/api/ps` after a load, or `/api/tags` `size` as a first estimate.
public actor ModelManager {
    /// One server the manager schedules, with its budget.
    struct Server: Sendable {
        let key: String
        let backend: any ModelBackend
        let budgetBytes: Int64
    }

    /// A role's model and server.
    struct Target: Sendable {
        let model: String
        let serverKey: String
    }

    let policy: SchedulingPolicy
    let keepAlive: KeepAlive
    let embedBatchSize: Int
    let logger: Logger
    nonisolated let hub = EventHub()

    let servers: [String: Server]
    let targets: [String: Target]
    let defaultServerKey: String

    var residency: [String: ResidentSet] = [:]
    var sizeCache: [String: Int64] = [:]
    var tagSizes: [String: [String: Int64]] = [:]
    var clock: UInt64 = 0
    var waiters: [CheckedContinuation<Void, Never>] = []
    var counters = ModelMetrics()

    /// A manager for everything `config.toml` names, sharing the caller's `HTTPClient`.
    public init(config: A4PSConfig, httpClient: HTTPClient, logger: Logger = Logger(label: "a4ps.inference")) throws {
        var servers: [String: Server] = [:]
        var targets: [String: Target] = [:]
        let routes = try (ModelNames.personas + ["embedding"]).map { try config.route(for: $0) }
        let usesEmbedded = routes.contains { $0.backend.isEmbedded } || config.backends[config.inference.defaultBackend]?.isEmbedded == true
        let embedded = usesEmbedded ? EmbeddedModelServer(install: .locate(), logger: logger) : nil
        for role in ModelNames.personas + ["embedding"] {
            let route = try config.route(for: role)
            let key = route.backend.name
            if servers[key] == nil {
                let budget = Int64(((route.backend.vramGB ?? config.scheduler.vramGB) * 1e9).rounded())
                servers[key] = Server(key: key, backend: BackendFactory.make(route.backend, httpClient: httpClient, inference: config.inference, embedded: embedded),
                                      budgetBytes: budget)
            }
            targets[role] = Target(model: route.model, serverKey: key)
        }
        let defaultKey = config.backends[config.inference.defaultBackend]!.name
        if servers[defaultKey] == nil, let settings = config.backends[defaultKey] {
            servers[defaultKey] = Server(key: defaultKey, backend: BackendFactory.make(settings, httpClient: httpClient, inference: config.inference, embedded: embedded),
                                         budgetBytes: Int64(((settings.vramGB ?? config.scheduler.vramGB) * 1e9).rounded()))
        }
        self.init(servers: servers, targets: targets, defaultServerKey: defaultKey, policy: config.scheduler.policy,
                  keepAlive: config.scheduler.keepAlive, embedBatchSize: config.inference.embedBatchSize, logger: logger)
    }

    /// A manager for one backend serving every role's model (`models`), with a budget in GB.
    public init(backend: any ModelBackend, models: ModelNames = ModelNames(), policy: SchedulingPolicy = .budget, vramGB: Double = 8,
                keepAlive: KeepAlive = .duration(seconds: 1800), embedBatchSize: Int = 64, logger: Logger = Logger(label: "a4ps.inference")) {
        let key = backend.baseURL
        var targets: [String: Target] = [:]
        for role in ModelNames.personas + ["embedding"] { targets[role] = Target(model: models.model(for: role)!, serverKey: key) }
        self.init(servers: [key: Server(key: key, backend: backend, budgetBytes: Int64((vramGB * 1e9).rounded()))], targets: targets,
                  defaultServerKey: key, policy: policy, keepAlive: keepAlive, embedBatchSize: embedBatchSize, logger: logger)
    }

    init(servers: [String: Server], targets: [String: Target], defaultServerKey: String, policy: SchedulingPolicy, keepAlive: KeepAlive,
         embedBatchSize: Int, logger: Logger) {
        self.servers = servers
        self.targets = targets
        self.defaultServerKey = defaultServerKey
        self.policy = policy
        self.keepAlive = keepAlive
        self.embedBatchSize = max(1, embedBatchSize)
        self.logger = logger
        for (key, server) in servers { residency[key] = ResidentSet(budgetBytes: server.budgetBytes) }
    }

    /// The local model server this manager runs (when a role is on the embedded backend); stop it when done.
    public nonisolated var embeddedServer: EmbeddedModelServer? {
        servers.values.lazy.compactMap { ($0.backend as? EmbeddedBackend)?.server }.first
    }

    // MARK: - Observing

    /// A new live stream of events (loads, unloads, token deltas, call ends). Several may be open.
    public nonisolated func events(bufferingPolicy: AsyncStream<ModelEvent>.Continuation.BufferingPolicy = .unbounded) -> AsyncStream<ModelEvent> {
        hub.subscribe(bufferingPolicy: bufferingPolicy)
    }

    /// Ends every open event stream (call when shutting down).
    public nonisolated func finishEvents() { hub.finish() }

    /// A snapshot of the counters.
    public func metrics() -> ModelMetrics {
        var snapshot = counters
        snapshot.residentBytes = residency.values.reduce(0) { $0 + $1.totalBytes }
        snapshot.peakResidentBytes = residency.values.map(\.peakBytes).max() ?? 0
        snapshot.resident = residency.mapValues(\.residentNames)
        return snapshot
    }

    /// The backend serving a persona or role (its `[personas.NAME]` backend, else the default).
    public nonisolated func backend(for persona: String) -> any ModelBackend {
        servers[targets[persona.lowercased()]?.serverKey ?? defaultServerKey]!.backend
    }

    /// The persona's backend as a server of LoRA adapters; nil when its protocol cannot serve one.
    public nonisolated func adapterServer(for persona: String) -> (any AdapterServing)? {
        backend(for: persona) as? any AdapterServing
    }

    /// The model a persona or role uses according to the configuration.
    public nonisolated func model(for persona: String) -> String? {
        targets[persona.lowercased()]?.model
    }

    /// The policy in force.
    public nonisolated var schedulingPolicy: SchedulingPolicy { policy }

    func serverKey(for persona: String) -> String {
        targets[persona.lowercased()]?.serverKey ?? defaultServerKey
    }

    // MARK: - Scheduling

    /// A model held resident for one call; give it back with ``release(_:succeeded:)``.
    struct Lease: Sendable {
        let model: String
        let serverKey: String
        let managed: Bool
    }

    func tick() -> UInt64 {
        clock += 1
        return clock
    }

    func waitForChange() async {
        await withCheckedContinuation { waiters.append($0) }
    }

    func notifyChange() {
        let waiting = waiters
        waiters.removeAll()
        for waiter in waiting { waiter.resume() }
    }

    /// Makes `model` resident on its server within the budget, and pins it for a call.
    func acquire(model: String, serverKey: String) async throws -> Lease {
        guard let server = servers[serverKey] else { preconditionFailure("unknown server \(serverKey)") }
        guard server.backend.managesResidency else { return Lease(model: model, serverKey: serverKey, managed: false) }
        while true {
            try Task.checkCancellation()
            if var entry = residency[serverKey]!.entries[model] {
                if entry.state == .ready {
                    entry.pins += 1
                    entry.lastUsed = tick()
                    residency[serverKey]!.entries[model] = entry
                    return Lease(model: model, serverKey: serverKey, managed: true)
                }
                await waitForChange()
                continue
            }
            if residency[serverKey]!.hasTransitions {
                await waitForChange()
                continue
            }
            // Learn what the server really holds (another client, an expired keep-alive).
            try await sync(server)
            if residency[serverKey]!.entries[model] != nil { continue }
            let estimate = try await estimatedBytes(model, server: server)
            if residency[serverKey]!.entries[model] != nil || residency[serverKey]!.hasTransitions { continue }

            var set = residency[serverKey]!
            let othersResident = !set.entries.isEmpty
            if policy == .sequential, othersResident {
                // One model at a time: unload every idle one, or wait for the busy ones.
                if let victim = set.evictionCandidate(sparing: model) {
                    try await evict(victim, server: server, reason: .sequential)
                } else {
                    await waitForChange()
                }
                continue
            }
            if set.totalBytes + estimate > set.budgetBytes {
                if let victims = set.evictionPlan(toFit: estimate, sparing: model) {
                    for victim in victims { try await evict(victim, server: server, reason: .evicted) }
                    continue
                }
                if estimate > set.budgetBytes, let idle = set.evictionCandidate(sparing: model) {
                    // Larger than the whole budget: it can only run alone (over budget, said below), so the
                    // idle models go now; waiting for them to change would wait forever.
                    try await evict(idle, server: server, reason: .evicted)
                    continue
                }
                if othersResident {
                    // What is resident is in use and the model does not fit beside it: wait for a call to finish.
                    await waitForChange()
                    continue
                }
                hub.publish(.overBudget(model: model, backend: serverKey, bytes: estimate, budgetBytes: set.budgetBytes))
            }
            set.entries[model] = .init(bytes: estimate, lastUsed: tick(), pins: 1, state: .loading)
            set.notePeak()
            residency[serverKey] = set
            try await load(model, estimate: estimate, server: server)
            return Lease(model: model, serverKey: serverKey, managed: true)
        }
    }

    private func load(_ model: String, estimate: Int64, server: Server) async throws {
        hub.publish(.loading(model: model, backend: server.key, estimatedBytes: estimate))
        let report: LoadReport
        do {
            report = try await server.backend.load(model: model, keepAlive: policy == .sequential ? .duration(seconds: 300) : keepAlive)
        } catch {
            residency[server.key]!.entries.removeValue(forKey: model)
            notifyChange()
            throw error
        }
        var measured = estimate
        if let running = try? await server.backend.runningModels(), let entry = running.first(where: { $0.name == model }) {
            measured = entry.sizeVRAMBytes > 0 ? entry.sizeVRAMBytes : entry.sizeBytes
        }
        sizeCache["\(server.key)|\(model)"] = measured
        residency[server.key]!.entries[model]?.bytes = measured
        residency[server.key]!.entries[model]?.state = .ready
        residency[server.key]!.notePeak()
        counters.loads += 1
        counters.totalLoadTime += report.duration
        counters.perModel[model, default: .init()].loads += 1
        counters.perModel[model, default: .init()].loadTime += report.duration
        counters.perModel[model, default: .init()].bytes = measured
        hub.publish(.loaded(model: model, backend: server.key, bytes: measured, duration: report.duration))
        logger.debug("loaded \(model) on \(server.key): \(measured) bytes in \(report.duration)")
        // The measurement may exceed the estimate: make room at once, sparing what is in use.
        while residency[server.key]!.totalBytes > residency[server.key]!.budgetBytes,
              let victim = residency[server.key]!.evictionCandidate(sparing: model) {
            try await evict(victim, server: server, reason: .evicted)
        }
        notifyChange()
    }

    private func evict(_ model: String, server: Server, reason: UnloadReason) async throws {
        residency[server.key]!.entries[model]?.state = .unloading
        defer { notifyChange() }
        do {
            try await server.backend.unload(model: model)
        } catch let error as InferenceError where error.code == .modelNotFound {
            // Already gone from the server: nothing to unload.
        } catch {
            residency[server.key]!.entries[model]?.state = .ready
            throw error
        }
        residency[server.key]!.entries.removeValue(forKey: model)
        countUnload(model, server: server.key, reason: reason)
    }

    private func countUnload(_ model: String, server: String, reason: UnloadReason) {
        counters.unloads += 1
        if reason == .evicted { counters.evictions += 1 }
        counters.perModel[model, default: .init()].unloads += 1
        hub.publish(.unloaded(model: model, backend: server, reason: reason))
    }

    /// Gives a model back after a call. Under `sequential` the call asked the server to unload it
    /// (`keep_alive` 0); if the call failed, or the server has no keep-alive, it is unloaded explicitly.
    func release(_ lease: Lease, succeeded: Bool) async {
        guard lease.managed, var entry = residency[lease.serverKey]!.entries[lease.model] else { return }
        entry.pins = max(0, entry.pins - 1)
        entry.lastUsed = tick()
        residency[lease.serverKey]!.entries[lease.model] = entry
        if policy == .sequential, entry.pins == 0, entry.state == .ready {
            if succeeded, servers[lease.serverKey]?.backend.honorsKeepAlive == true {
                residency[lease.serverKey]!.entries.removeValue(forKey: lease.model)
                countUnload(lease.model, server: lease.serverKey, reason: .sequential)
            } else if let server = servers[lease.serverKey] {
                try? await evict(lease.model, server: server, reason: .sequential)
            }
        }
        notifyChange()
    }

    /// Reads `/api/ps`: adopts models loaded by others (as least recently used) and forgets models
    /// the server dropped on its own.
    func sync(_ server: Server) async throws {
        let asked = clock
        let running = try await server.backend.runningModels()
        var set = residency[server.key]!
        let names = Set(running.map(\.name))
        for (name, entry) in set.entries
        where entry.state == .ready && entry.pins == 0 && entry.lastUsed <= asked && !names.contains(name) {
            set.entries.removeValue(forKey: name)
            hub.publish(.unloaded(model: name, backend: server.key, reason: .expiredOnServer))
        }
        for model in running where set.entries[model.name] == nil {
            set.entries[model.name] = .init(bytes: model.sizeVRAMBytes > 0 ? model.sizeVRAMBytes : model.sizeBytes, lastUsed: 0, pins: 0, state: .ready)
        }
        set.synced = true
        set.notePeak()
        // Only apply when nothing changed while we were away.
        if !residency[server.key]!.hasTransitions { residency[server.key] = set }
    }

    func estimatedBytes(_ model: String, server: Server) async throws -> Int64 {
        if let measured = sizeCache["\(server.key)|\(model)"] { return measured }
        if let size = tagSizes[server.key]?[model] { return size }
        let models = try await server.backend.listModels()
        tagSizes[server.key] = Dictionary(models.compactMap { info in info.sizeBytes.map { (info.name, $0) } }, uniquingKeysWith: { a, _ in a })
        return tagSizes[server.key]?[model] ?? 0
    }

    /// Unloads every model this manager loaded or adopted, on every managed server.
    public func unloadAll() async throws {
        for server in servers.values where server.backend.managesResidency {
            while let victim = residency[server.key]!.evictionCandidate(sparing: "") {
                try await evict(victim, server: server, reason: .explicit)
            }
        }
    }

    func record(model: String, usage: TokenUsage?, failed: Bool) {
        counters.calls += 1
        if failed { counters.failedCalls += 1 }
        counters.perModel[model, default: .init()].calls += 1
        if let usage {
            counters.promptTokens += usage.promptTokens
            counters.completionTokens += usage.completionTokens
            counters.perModel[model, default: .init()].promptTokens += usage.promptTokens
            counters.perModel[model, default: .init()].completionTokens += usage.completionTokens
            counters.cachedPromptTokens += usage.cachedPromptTokens ?? 0
            counters.perModel[model, default: .init()].cachedPromptTokens += usage.cachedPromptTokens ?? 0
        }
    }
}
