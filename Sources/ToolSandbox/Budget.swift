import Synchronization

/// A byte budget shared by the stdout and stderr readers of one run.
final class Budget: Sendable {
    private let remaining: Mutex<Int>

    init(limit: Int) { remaining = Mutex(limit) }

    /// Takes `count` bytes; false (and nothing taken) when that would pass the limit.
    func take(_ count: Int) -> Bool {
        remaining.withLock { left in
            guard count <= left else {
                left = -1
                return false
            }
            left -= count
            return true
        }
    }
}
