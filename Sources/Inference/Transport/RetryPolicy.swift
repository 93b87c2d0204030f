/// How a call is retried when the connection fails before anything was delivered.
public struct RetryPolicy: Sendable, Hashable {
    /// Retries after the first attempt (0 disables retrying).
    public var maxRetries: Int
    /// The first delay; it doubles on every retry, up to ``maxDelay``.
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxRetries: Int = 3, baseDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(5)) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The delay before retry number `retry` (1-based).
    public func delay(beforeRetry retry: Int) -> Duration {
        var delay = baseDelay
        for _ in 1..<max(1, retry) { delay = delay * 2 }
        return min(delay, maxDelay)
    }

    /// No retries.
    public static let none = RetryPolicy(maxRetries: 0)
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
