import Synchronization

/// A typed, in-process publish/subscribe channel for ``ImageEvent``s.
///
/// Publishing never blocks and never fails; each subscriber gets its own buffered stream
/// (the oldest events are dropped when a slow subscriber falls `bufferSize` behind). Every
/// stream ends when its subscriber stops iterating (or drops it) or when the bus is finished;
/// a bus once finished stays finished, so a late subscriber cannot wait on it forever.
public final class EventBus: Sendable {
    private struct State {
        var subscribers: [Int: AsyncStream<ImageEvent>.Continuation] = [:]
        var nextID = 0
        var finished = false
    }

    private let state = Mutex(State())
    private let bufferSize: Int

    public init(bufferSize: Int = 4096) {
        self.bufferSize = bufferSize
    }

    /// A stream of every event published from now on, until the stream is dropped or the bus finishes.
    public func subscribe() -> AsyncStream<ImageEvent> {
        let (stream, continuation) = AsyncStream<ImageEvent>.makeStream(bufferingPolicy: .bufferingNewest(bufferSize))
        let id: Int? = state.withLock { state in
            guard !state.finished else { return nil }
            state.nextID += 1
            state.subscribers[state.nextID] = continuation
            return state.nextID
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        // Set after registering: a stream that ends at once still finds its entry to remove.
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    public func publish(_ event: ImageEvent) {
        let targets = state.withLock { Array($0.subscribers.values) }
        for continuation in targets { continuation.yield(event) }
    }

    /// How many streams are open now (a stream whose subscriber has gone is no longer counted).
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Ends every subscriber's stream, and every stream subscribed from now on.
    public func finish() {
        let targets = state.withLock { state in
            defer { state.subscribers.removeAll() }
            state.finished = true
            return Array(state.subscribers.values)
        }
        for continuation in targets { continuation.finish() }
    }
}
