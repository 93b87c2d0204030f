import CLuaShim
import Synchronization

/// Awaits host work on a send's behalf (a model call, a memory search) no longer than the
/// send's deadline, so the deadline holds while no Lua instruction runs.
enum DeadlineRace {
    /// Answers what `work` answers, or nil when the `deadline` (CLOCK_MONOTONIC seconds, as
    /// `a4_now`) passes first: then the work is cancelled and its answer, should one come, dropped.
    static func run<T: Sendable>(until deadline: Double, _ work: @escaping @Sendable () async -> T) async -> T? {
        let remaining = deadline - a4_now()
        guard remaining > 0 else { return nil }
        guard remaining < 1e9 else { return await work() }   // no deadline to speak of
        let gate = Gate<T>()
        // The work is not a child task, so the send's own cancellation is passed on by hand.
        return await withTaskCancellationHandler {
            await race(gate, remaining, work)
        } onCancel: {
            gate.cancelWork()
        }
    }

    private static func race<T: Sendable>(_ gate: Gate<T>, _ remaining: Double, _ work: @escaping @Sendable () async -> T) async -> T? {
        await withCheckedContinuation { continuation in
            gate.arm(continuation)
            let timer = Task.detached {
                try? await Task.sleep(for: .seconds(remaining))
                gate.finish(with: nil)
            }
            // Not detached: the work keeps the send's task-local values (the deliberation run
            // an interrupt belongs to, the sink streamed tokens go to).
            let worker = Task {
                let value = await work()
                gate.finish(with: value)
                timer.cancel()
            }
            gate.keep(worker)
        }
    }

    /// Resumes the waiting send once, with whichever of the work and the timer finishes first,
    /// and cancels the work when the timer won.
    private final class Gate<T: Sendable>: Sendable {
        private struct State {
            var continuation: CheckedContinuation<T?, Never>?
            var worker: Task<Void, Never>?
            var timedOut = false
            var cancelled = false
        }
        private let state = Mutex(State())

        func arm(_ continuation: CheckedContinuation<T?, Never>) {
            state.withLock { $0.continuation = continuation }
        }

        func keep(_ worker: Task<Void, Never>) {
            let cancel = state.withLock { state in
                state.worker = worker
                return state.timedOut || state.cancelled
            }
            if cancel { worker.cancel() }
        }

        func cancelWork() {
            let worker = state.withLock { state in
                state.cancelled = true
                return state.worker
            }
            worker?.cancel()
        }

        func finish(with value: T?) {
            let (continuation, worker) = state.withLock { state in
                let continuation = state.continuation
                state.continuation = nil
                if continuation != nil && value == nil { state.timedOut = true }
                return (continuation, state.timedOut ? state.worker : nil)
            }
            continuation?.resume(returning: value)
            worker?.cancel()
        }
    }
}
