import Synchronization

/// Counts the message sends running at once and turns away those past the limit, so that a
/// flood of requests cannot queue unbounded work on the image's interpreters.
final class SendGate: Sendable {
    let limit: Int
    private let running = Mutex(0)

    init(limit: Int) { self.limit = max(1, limit) }

    /// Runs `body` when a place is free; nil, without running it, when every place is taken.
    func run<T>(_ body: () async throws -> T) async rethrows -> T? {
        let entered = running.withLock { count in
            guard count < limit else { return false }
            count += 1
            return true
        }
        guard entered else { return nil }
        defer { running.withLock { $0 -= 1 } }
        return try await body()
    }
}
