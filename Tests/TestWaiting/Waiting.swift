import Foundation
import Synchronization
import Testing

/// How long a test waits for something its own script makes happen. Generous on purpose: the
/// bound is there so that a missing outcome fails the test instead of hanging it, never to
/// judge how fast the machine is.
public let patience: Duration = .seconds(60)

/// Polls `condition` until it holds and answers true; when `timeout` passes first, records a
/// failing Issue (at the caller) and answers false.
@discardableResult
public func waitUntil(timeout: Duration = patience, _ comment: @autoclosure () -> Comment, sourceLocation: SourceLocation = #_sourceLocation,
               _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline {
            Issue.record("timed out after \(timeout): \(comment())", sourceLocation: sourceLocation)
            return false
        }
        try? await Task.sleep(for: .milliseconds(10))
    }
}

/// Reads `stream` until `isLast` holds for an element and answers everything read (that element
/// included). When `timeout` passes first, or the stream ends, records a failing Issue (at the
/// caller) and answers what was read. The stream is used up either way.
public func readEvents<Element: Sendable>(_ stream: AsyncStream<Element>, timeout: Duration = patience, _ comment: Comment,
                                   sourceLocation: SourceLocation = #_sourceLocation,
                                   until isLast: @escaping @Sendable (Element) -> Bool) async -> [Element] {
    let read = Collected<Element>()
    let found = await withTaskGroup(of: Bool.self) { group in
        group.addTask {
            for await element in stream {
                read.items.withLock { $0.append(element) }
                if isLast(element) { return true }
            }
            return false
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return false
        }
        let first = await group.next() ?? false
        group.cancelAll()
        return first
    }
    let events = read.items.withLock { $0 }
    if !found {
        Issue.record("no awaited event within \(timeout) (\(events.count) others read): \(comment)", sourceLocation: sourceLocation)
    }
    return events
}

/// What a reader has collected so far, shared with the task that reads.
private final class Collected<Element: Sendable>: Sendable {
    let items = Mutex<[Element]>([])
}

/// Runs blocking work (file I/O, SQLite) on a thread of its own and awaits its result, so no
/// worker of Swift's cooperative pool is blocked.
public func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}
