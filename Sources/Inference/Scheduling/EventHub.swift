import Foundation
import Synchronization

/// Fans ``ModelEvent``s out to every subscriber; publishing never waits for a slow subscriber.
final class EventHub: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<ModelEvent>.Continuation]>([:])

    func subscribe(bufferingPolicy: AsyncStream<ModelEvent>.Continuation.BufferingPolicy) -> AsyncStream<ModelEvent> {
        let (stream, continuation) = AsyncStream<ModelEvent>.makeStream(bufferingPolicy: bufferingPolicy)
        let id = UUID()
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        return stream
    }

    func publish(_ event: ModelEvent) {
        subscribers.withLock { subscribers in
            for continuation in subscribers.values { continuation.yield(event) }
        }
    }

    var hasSubscribers: Bool { subscribers.withLock { !$0.isEmpty } }

    func finish() {
        let all = subscribers.withLock { subscribers in
            defer { subscribers.removeAll() }
            return Array(subscribers.values)
        }
        for continuation in all { continuation.finish() }
    }
}
