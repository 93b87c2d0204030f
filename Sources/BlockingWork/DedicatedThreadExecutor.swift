import Foundation

/// A serial executor with a thread of its own, for actors whose work blocks: Lua that runs for
/// seconds, synchronous SQLite commits with `synchronous = FULL`.
///
/// Swift's cooperative pool has one thread per core; an actor that blocks one of them for long
/// starves every timer and every I/O completion of the process (the model layer's idle and
/// first-token timeouts among them). An actor opts in with
///
/// ```swift
/// private let executor = DedicatedThreadExecutor(name: "a4ps.lua")
/// nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
/// ```
///
/// The thread ends when the executor is released (its actor is gone and no job is queued).
public final class DedicatedThreadExecutor: SerialExecutor, @unchecked Sendable {
    private let jobs: JobQueue

    public init(name: String) {
        let jobs = JobQueue()
        self.jobs = jobs
        let thread = Thread { jobs.runUntilStopped() }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    deinit {
        jobs.stop()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        jobs.push(UnownedJob(job), on: self)
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}

/// The jobs waiting for a ``DedicatedThreadExecutor``'s thread, in order.
private final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    // Each job keeps its executor alive until it has run: the runtime still uses the executor
    // after a job that released the last reference to its actor.
    private var pending: [(job: UnownedJob, executor: DedicatedThreadExecutor?)] = []
    private var head = 0
    private var stopped = false

    func push(_ job: UnownedJob, on executor: DedicatedThreadExecutor) {
        condition.lock()
        pending.append((job, executor))
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    func runUntilStopped() {
        while var next = take() {
            next.job.runSynchronously(on: next.executor!.asUnownedSerialExecutor())
            next.executor = nil
        }
    }

    private func take() -> (job: UnownedJob, executor: DedicatedThreadExecutor?)? {
        condition.lock()
        defer { condition.unlock() }
        while head == pending.count {
            if stopped { return nil }
            condition.wait()
        }
        let next = pending[head]
        pending[head].executor = nil
        head += 1
        if head > 1024, head * 2 > pending.count {
            pending.removeFirst(head)
            head = 0
        }
        return next
    }
}
