import Synchronization

/// A typed, in-process publish/subscribe channel for ``ImageEvent``s.
///
/// Publishing never blocks and never fails; each subscriber gets its own buffered stream
/// (the oldest events are dropped when a slow subscriber falls `bufferSize` behind).
public final class EventBus: Sendable {
    private let subscribers = Mutex<[Int: AsyncStream<ImageEvent>.Continuation]>([:])
    private let nextID = Atomic<Int>(0)
    private let bufferSize: Int

    public init(bufferSize: Int = 4096) {
        self.bufferSize = bufferSize
    }

    /// A stream of every event published from now on, until the stream is dropped.
    public func subscribe() -> AsyncStream<ImageEvent> {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<ImageEvent>.makeStream(bufferingPolicy: .bufferingNewest(bufferSize))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    public func publish(_ event: ImageEvent) {
        let targets = subscribers.withLock { Array($0.values) }
        for continuation in targets { continuation.yield(event) }
    }

    /// Ends every subscriber's stream.
    public func finish() {
        let targets = subscribers.withLock { subs in
            defer { subs.removeAll() }
            return Array(subs.values)
        }
        for continuation in targets { continuation.finish() }
    }
}
