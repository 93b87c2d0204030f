import Foundation
import Synchronization

/// Fans ``ModelEvent``s out to every subscriber; publishing never waits for a slow subscriber.
/// Once finished it stays finished: a late subscriber gets a stream that has already ended.
final class EventHub: Sendable {
    private struct State {
        var subscribers: [UUID: AsyncStream<ModelEvent>.Continuation] = [:]
        var finished = false
    }

    private let state = Mutex(State())

    func subscribe(bufferingPolicy: AsyncStream<ModelEvent>.Continuation.BufferingPolicy) -> AsyncStream<ModelEvent> {
        let (stream, continuation) = AsyncStream<ModelEvent>.makeStream(bufferingPolicy: bufferingPolicy)
        let id = UUID()
        let registered = state.withLock { state in
            guard !state.finished else { return false }
            state.subscribers[id] = continuation
            return true
        }
        guard registered else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    func publish(_ event: ModelEvent) {
        state.withLock { state in
            for continuation in state.subscribers.values { continuation.yield(event) }
        }
    }

    var hasSubscribers: Bool { state.withLock { !$0.subscribers.isEmpty } }

    func finish() {
        let all = state.withLock { state in
            defer { state.subscribers.removeAll() }
            state.finished = true
            return Array(state.subscribers.values)
        }
        for continuation in all { continuation.finish() }
    }
}
