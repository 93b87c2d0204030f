/// The tool calls in flight, so that the server can end them before the image closes: a call
/// still running when the client goes away is cancelled and awaited, never left to touch a
/// closed image.
actor CallTracker {
    private struct Running {
        let cancel: @Sendable () -> Void
        let wait: @Sendable () async -> Void
    }

    private var running: [Int: Running] = [:]
    private var nextID = 0
    private var closed = false

    /// Runs `body` as a tracked task and answers its value (cancelled with the caller); after
    /// ``finish()`` it answers `refused` without running.
    func run<T: Sendable>(refused: T, _ body: @escaping @Sendable () async -> T) async -> T {
        guard !closed else { return refused }
        let id = nextID
        nextID += 1
        let task = Task { await body() }
        running[id] = Running(cancel: { task.cancel() }, wait: { _ = await task.value })
        let value = await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
        running[id] = nil
        return value
    }

    /// Refuses new calls, cancels those running and waits until they have ended.
    func finish() async {
        closed = true
        let calls = Array(running.values)
        for call in calls { call.cancel() }
        for call in calls { await call.wait() }
    }
}
