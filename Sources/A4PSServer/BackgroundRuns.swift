import A4PS
import Foundation
import Hummingbird
import LivingImage
import Logging

/// The deliberations the API drives in the background (`POST /runs`, resume, fork): each is the
/// Architect's request while it runs (the motivator keeps out of its way), can be cancelled at
/// its next checkpoint, and stops at a checkpoint when the server shuts down — the next
/// `a4ps serve` on the image drives it on from there (``resumeInterrupted()``).
public actor BackgroundRuns {
    /// The state key that marks a run as started over the API (so a restart knows it is its own to resume).
    static let originKey = "origin"
    static let origin: JSONValue = "api"

    private let runtime: Runtime
    private let logger: Logger
    private var tasks: [String: Task<Void, Never>] = [:]
    private var cancelled: Set<String> = []
    private var stopping = false

    public init(runtime: Runtime, logger: Logger) {
        self.runtime = runtime
        self.logger = logger
    }

    /// Drives run `id` (created already) in the background, with `input` for a paused one.
    func drive(_ id: String, input: JSONValue? = nil) throws(APIError) {
        guard !stopping else {
            throw APIError(status: .serviceUnavailable, code: "shuttingDown", description: "the server is shutting down; start the run after it restarts")
        }
        guard tasks[id] == nil else {
            throw APIError.conflict("run \(id) is running already; cancel it first (POST /runs/\(id)/cancel)", code: "running")
        }
        let (runtime, logger) = (runtime, logger)
        let stop: @Sendable () async -> Bool = { [weak self] in await self?.shouldStop(id) ?? true }
        tasks[id] = Task.detached {
            await Self.advance(id, input: input, runtime: runtime, stop: stop, logger: logger)
            await self.finished(id)
        }
    }

    /// Drives the run until it ends, pauses, fails or is asked to stop, as the Architect's request.
    private nonisolated static func advance(_ id: String, input: JSONValue?, runtime: Runtime, stop: @escaping @Sendable () async -> Bool,
                                            logger: Logger) async {
        do {
            _ = try await runtime.serving("run \(id)") { try await runtime.runner.resume(id, input: input, yieldWhen: stop) }
        } catch {
            logger.warning("run \(id) could not go on: \(error)")
            runtime.image.events.publish(.runStopped(run: id, status: "error", detail: .string("\(error)")))
        }
    }

    /// Asks run `id` to stop at its next checkpoint (it stays resumable); false when it is not running here.
    func cancel(_ id: String) -> Bool {
        guard tasks[id] != nil else { return false }
        cancelled.insert(id)
        return true
    }

    /// Whether run `id` is being driven here now.
    func isDriving(_ id: String) -> Bool { tasks[id] != nil }

    /// Stops every run at its next checkpoint and waits for them: for a graceful shutdown.
    public func stopAll() async {
        stopping = true
        for task in tasks.values { await task.value }
    }

    /// Drives on the runs an earlier server started over the API and left at a checkpoint when it
    /// stopped (or died); answers their ids.
    @discardableResult
    public func resumeInterrupted(limit: Int = 200) async -> [String] {
        var resumed: [String] = []
        do {
            for run in try await runtime.runner.runs(limit: limit) where run.status == .running && tasks[run.id] == nil {
                guard try await runtime.runner.history(run.id).first?.state[Self.originKey] == Self.origin else { continue }
                do {
                    try drive(run.id)
                    resumed.append(run.id)
                } catch {
                    logger.warning("could not resume run \(run.id): \(error)")
                }
            }
        } catch {
            logger.warning("could not look for interrupted runs: \(error)")
        }
        if !resumed.isEmpty { logger.info("resumed \(resumed.count) interrupted runs: \(resumed.joined(separator: ", "))") }
        return resumed
    }

    private func shouldStop(_ id: String) -> Bool { stopping || cancelled.contains(id) }

    private func finished(_ id: String) {
        tasks[id] = nil
        cancelled.remove(id)
    }
}
