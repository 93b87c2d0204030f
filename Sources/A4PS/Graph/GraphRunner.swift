import BlockingWork
import Foundation
import LivingImage

/// Runs deliberation graphs: each node is a message send whose answer updates the run's state;
/// a checkpoint commits with every node, in the transaction of its slot writes, so a run survives
/// a crash (`resume` goes on from the last checkpoint without redoing finished nodes), pauses for
/// a human (`interrupt`), and can be forked from any past checkpoint.
///
/// The graph is read from the image before every step, so a change to it (or to any node's
/// method) takes effect at the next node.
public actor GraphRunner {
    /// Runs this actor's blocking work (see ``DedicatedThreadExecutor``) off the cooperative pool.
    private let executor = DedicatedThreadExecutor(name: "a4ps.graph-runner")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    private let image: Image
    private let store: RunStore
    private let modelLoads: @Sendable () async -> Int
    private var active: Set<String> = []
    private var finished: (@Sendable (RunRecord) async -> Void)?
    /// Who this runner is when it leases a run (process and runner).
    private let leaseOwner = LeaseOwner().description
    /// How long a lease lasts without renewal: a process that died gives its runs up after this.
    static let leaseSeconds: Double = 30

    /// A runner over `image`; its runs live in the image file. The image must have been opened
    /// with ``interruptPrimitive`` among its primitives for nodes to pause for a human.
    public init(image: Image, modelLoads: @escaping @Sendable () async -> Int = { 0 }) throws {
        self.image = image
        self.modelLoads = modelLoads
        store = try RunStore(database: image.database)
    }

    /// `interrupt(payload)` for Lua methods (register it when opening the image).
    public static var interruptPrimitive: HostPrimitive { RunContext.primitive }

    /// Starts a run of the graph in slot `graph` (`PROTO.slot`) on `state`, and drives it until
    /// it finishes, pauses or fails.
    public func start(graph: String, state: JSONValue) async throws -> RunRecord {
        try await drive(try await create(graph: graph, state: state), input: nil)
    }

    /// Creates a run of the graph in slot `graph` on `state` without driving it: ``resume(_:input:yieldWhen:)``
    /// drives it (so a caller can remember the run before any of it happens).
    public func create(graph: String, state: JSONValue) async throws -> RunRecord {
        let definition = try await loadGraph(graph)
        guard state.objectValue != nil else { throw GraphError.invalidGraph("a run's initial state must be an object") }
        let now = Date()
        let run = RunRecord(id: Self.newRunID(), graph: graph, status: .running, step: 0, next: definition.entry, interrupt: nil,
                            answers: [], error: nil, forkedFrom: nil, createdAt: now, updatedAt: now)
        try store.create(run, initial: Checkpoint(run: run.id, step: 0, node: nil, next: definition.entry, state: state, at: now))
        return run
    }

    /// Continues a run from its last checkpoint — after a crash, a failure, or (with the human's
    /// `input`) a pause.
    ///
    /// With `yieldWhen`, the run is asked before each node whether to give way (the motivator's
    /// goals yield to the Architect): when it answers true, the run stops at its last checkpoint,
    /// still `running` and free for a later `resume` — nothing is lost or redone.
    public func resume(_ id: String, input: JSONValue? = nil, yieldWhen: (@Sendable () async -> Bool)? = nil) async throws -> RunRecord {
        guard let run = try store.run(id) else { throw GraphError(description: "there is no run \(id) (see `a4ps runs list`)") }
        guard run.status != .done else { return run }
        if run.status == .paused && input == nil {
            throw GraphError(description: "run \(id) is waiting for a human: resume it with --input JSON (it asked: \(run.interrupt?.jsonText ?? "null"))")
        }
        return try await drive(run, input: input, yieldWhen: yieldWhen)
    }

    /// Starts a new run from checkpoint `step` of run `id` (optionally with another state); the
    /// original run is left as it is.
    public func fork(_ id: String, fromStep step: Int, state: JSONValue? = nil) async throws -> RunRecord {
        try await drive(try createFork(id, fromStep: step, state: state), input: nil)
    }

    /// Creates the fork of run `id` at checkpoint `step` without driving it (``resume(_:input:yieldWhen:)`` drives it).
    public func createFork(_ id: String, fromStep step: Int, state: JSONValue? = nil) throws -> RunRecord {
        guard let original = try store.run(id) else { throw GraphError(description: "there is no run \(id)") }
        guard let checkpoint = try store.checkpoint(of: id, step: step) else {
            throw GraphError(description: "run \(id) has no checkpoint \(step) (see `a4ps runs history \(id)`)")
        }
        let now = Date()
        let run = RunRecord(id: Self.newRunID(), graph: original.graph, status: .running, step: 0, next: checkpoint.next,
                            interrupt: nil, answers: [], error: nil, forkedFrom: "\(id)@\(step)", createdAt: now, updatedAt: now)
        if let state, state.objectValue == nil { throw GraphError.invalidGraph("a run's state must be an object") }
        try store.create(run, initial: Checkpoint(run: run.id, step: 0, node: nil, next: checkpoint.next,
                                                  state: state ?? checkpoint.state, at: now))
        return run
    }

    public func runs(limit: Int = 50) throws -> [RunRecord] { try store.runs(limit: limit) }

    public func run(_ id: String) throws -> RunRecord? { try store.run(id) }

    public func history(_ id: String) throws -> [Checkpoint] { try store.checkpoints(of: id) }

    /// The runs of `graph` (`PROTO.slot`) that finished since `since`, oldest first, with their final states.
    public func finishedRuns(of graph: String, since: Date, limit: Int = 200) throws -> [(run: RunRecord, state: JSONValue)] {
        try store.finishedRuns(of: graph, since: since, limit: limit)
    }

    /// Every scoring of a run by the Oracle, oldest first.
    public func scores(_ id: String) throws -> [OracleScore] { try store.scores(of: id) }

    func record(_ score: OracleScore) throws { try store.record(score) }

    /// The Oracle's latest scorings of any run, newest first, with each run's task.
    public func recentScores(limit: Int = 20) throws -> [(score: OracleScore, task: String?)] { try store.recentScores(limit: limit) }

    /// Called with every run that finishes (`done`), after its last checkpoint — the Oracle's hook.
    public func whenFinished(_ handler: @escaping @Sendable (RunRecord) async -> Void) {
        finished = handler
    }

    // MARK: Driving

    private func drive(_ start: RunRecord, input firstInput: JSONValue?,
                       yieldWhen: (@Sendable () async -> Bool)? = nil) async throws -> RunRecord {
        guard active.insert(start.id).inserted else { throw GraphError(description: "run \(start.id) is already running in this process") }
        defer { active.remove(start.id) }
        // One process advances a run: the lease is taken here, renewed while a node works, and
        // checked by every checkpoint; another process's live lease is a clear refusal.
        var holder = try store.lease(start.id, owner: leaseOwner, until: Date().addingTimeInterval(Self.leaseSeconds))
        if let dead = holder, LeaseOwner.isDead(dead.owner) {
            holder = try store.lease(start.id, owner: leaseOwner, until: Date().addingTimeInterval(Self.leaseSeconds), takingOverFrom: dead.owner)
        }
        if let holder {
            throw GraphError(description: "run \(start.id) is being advanced by another process (\(holder.owner), lease until "
                + "\(ISO8601DateFormatter().string(from: holder.until))): wait for it, or resume it after that process has stopped")
        }
        let renewal = Task { [store, leaseOwner, id = start.id] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(Self.leaseSeconds / 3))
                if Task.isCancelled { break }
                _ = try? store.lease(id, owner: leaseOwner, until: Date().addingTimeInterval(Self.leaseSeconds))
            }
        }
        defer { renewal.cancel() }
        var run = start
        if let input = firstInput, run.status == .paused { run.answers.append(input) }
        guard var checkpoint = try store.checkpoint(of: run.id, step: run.step) else {
            throw GraphError(description: "run \(run.id) has lost its checkpoint \(run.step)")
        }
        while checkpoint.next != GraphDefinition.end {
            if let yieldWhen, await yieldWhen() {
                run.updatedAt = Date()
                try store.update(run, releasingLeaseOf: leaseOwner)
                image.events.publish(.runStopped(run: run.id, status: "yielded", detail: .string(checkpoint.next)))
                return run
            }
            let graph: GraphDefinition
            do {
                graph = try await loadGraph(run.graph)
                guard run.step < graph.maxSteps else {
                    throw GraphError(description: "run \(run.id) reached max_steps (\(graph.maxSteps)) without finishing")
                }
                guard graph.nodes[checkpoint.next] != nil else {
                    throw GraphError(description: "the graph no longer has the node \"\(checkpoint.next)\" this run is at")
                }
            } catch {
                return try stop(&run, .failed, error: "\(error)")
            }
            let name = checkpoint.next
            let node = graph.nodes[name]!
            let context = RunContext(run: run.id, step: run.step + 1, answers: run.answers)
            let started = ContinuousClock.now
            let loadsBefore = await modelLoads()
            // The node's send, its router, and the checkpoint they make commit in one transaction:
            // a crash leaves the node's writes and its checkpoint both in the file, or neither.
            let (from, at) = (checkpoint, run)
            let step: (run: RunRecord, checkpoint: Checkpoint)
            do {
                var args = checkpoint.state
                if case .object(var members) = args { members["_run"] = .string(run.id); args = .object(members) }
                step = try await RunContext.$current.withValue(context) {
                    try await image.send(node.proto, node.selector, args, author: .system) { [store, leaseOwner, modelLoads] update, scope in
                        let state = try graph.merged(from.state, with: update)
                        let next = try await Self.nextNode(after: name, in: graph, state: state, scope: scope)
                        let elapsed = ContinuousClock.now - started
                        let checkpoint = Checkpoint(
                            run: at.id, step: at.step + 1, node: name, next: next, state: state, at: Date(),
                            durationMs: Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15,
                            modelLoads: await modelLoads() - loadsBefore)
                        var run = at
                        run.step += 1
                        run.next = next
                        run.status = .running
                        run.interrupt = nil
                        run.answers = []
                        run.error = nil
                        run.updatedAt = checkpoint.at
                        return SendCompletion((run, checkpoint)) { [run] db in
                            try store.advance(run, to: checkpoint, owner: leaseOwner, in: db)
                        }
                    }
                }
            } catch let error as ImageError where error.code == .interrupted {
                run.interrupt = context.interruptPayload ?? .null
                return try stop(&run, .paused, error: nil)
            } catch {
                return try stop(&run, .failed, error: "node \(name) (\(node.proto)>>\(node.selector)): \(error)")
            }
            (run, checkpoint) = step
            image.events.publish(.runStepped(run: run.id, step: run.step, node: name, next: checkpoint.next))
        }
        let done = try stop(&run, .done, error: nil)
        if let finished { await finished(done) }
        return done
    }

    private func stop(_ run: inout RunRecord, _ status: RunRecord.Status, error: String?) throws -> RunRecord {
        run.status = status
        run.error = error
        run.updatedAt = Date()
        try store.update(run, releasingLeaseOf: leaseOwner)
        let detail: JSONValue = switch status {
        case .paused: run.interrupt ?? .null
        case .failed: .string(error ?? "")
        default: .null
        }
        image.events.publish(.runStopped(run: run.id, status: status.rawValue, detail: detail))
        return run
    }

    /// The node after `name`: its edge's target, or what its router answers, sent within the
    /// node's transaction (it sees the node's writes, and its own commit with them).
    private static func nextNode(after name: String, in graph: GraphDefinition, state: JSONValue,
                                 scope: SendScope) async throws -> String {
        switch graph.edges[name]! {
        case .to(let target):
            return target
        case .router(let proto, let selector):
            let answer = try await scope.send(proto, selector, state)
            guard let target = answer.stringValue, target == GraphDefinition.end || graph.nodes[target] != nil else {
                throw GraphError(description: "the router \(proto)>>\(selector) answered \(answer.jsonText.prefix(80)), "
                    + "which is not a node of the graph (or \"END\")")
            }
            return target
        }
    }

    private func loadGraph(_ location: String) async throws -> GraphDefinition {
        let parts = location.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw GraphError(description: "a graph is named PROTO.slot, not \(location)") }
        guard let json = try image.slot(parts[1], of: parts[0]) else {
            throw GraphError(description: "\(parts[0]) has no slot \(parts[1]) holding a graph")
        }
        return try GraphDefinition(json: json)
    }


    private static func newRunID() -> String {
        "run-" + UUID().uuidString.prefix(8).lowercased()
    }
}
