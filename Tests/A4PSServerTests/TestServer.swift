import A4PSServer
import AsyncHTTPClient
import Foundation
import LivingImage
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization
import TestHTTP
import Testing

/// A real server on a fresh image, on an ephemeral loopback port, run by a `ServiceGroup` as
/// `a4ps serve` runs it, so tests can shut it down gracefully.
struct TestServer {
    let base: String
    let port: Int
    let client: HTTPClient
    /// The API through `client`, with the server's token.
    var api: APIClient { APIClient(base: base, token: token.value, client: client) }
    let image: Image
    let token: ServerToken
    let directory: URL
    let group: ServiceGroup
    let serving: Task<Void, any Error>
    let stopped: Flag

    /// Runs `body` against a started server, then shuts it down gracefully (failing the test when
    /// that takes longer than `shutdownDeadline`) and removes its files.
    static func with(_ configure: (inout ImageServer.Configuration) -> Void = { _ in },
                     shutdownDeadline: Duration = .seconds(120),
                     sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: (TestServer) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let imagePath = dir.appendingPathComponent("s.image").path
        let image = try await Image.open(at: imagePath, interpreters: 2)
        defer { image.close() }
        let token = try ServerToken.loadOrCreate(forImage: imagePath).token
        var configuration = ImageServer.Configuration(port: 0, token: token)
        configure(&configuration)
        var quiet = Logger(label: "a4ps.test-server")
        quiet.logLevel = .warning
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = try ImageServer(image: image, logger: quiet).buildApplication(configuration) { port in
            continuation.yield(port)
            continuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: quiet))
        let stopped = Flag()
        let serving = Task {
            defer { stopped.raise() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            _ = await serving.result
            throw TestServerError.didNotStart
        }
        let server = TestServer(base: "http://127.0.0.1:\(port)", port: port, client: HTTPClient(eventLoopGroupProvider: .singleton),
                                image: image, token: token, directory: dir, group: group, serving: serving, stopped: stopped)
        var failure: (any Error)?
        do { try await body(server) } catch { failure = error }
        try? await server.client.shutdown()
        await server.stop(deadline: shutdownDeadline, sourceLocation: sourceLocation)
        if let failure { throw failure }
    }

    /// Shuts the server down gracefully and waits for it; past `deadline`, records an issue and cancels it.
    /// Returns how long the shutdown took.
    @discardableResult
    func stop(deadline: Duration = .seconds(120), sourceLocation: SourceLocation = #_sourceLocation) async -> Duration {
        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        if await !eventually(within: deadline, { stopped.isRaised }) {
            Issue.record("the server did not stop within \(deadline) of a graceful shutdown", sourceLocation: sourceLocation)
            serving.cancel()
            _ = await serving.result
        }
        return ContinuousClock.now - started
    }

    /// Waits until `condition` holds, polling; false when `deadline` passes first.
    func eventually(within deadline: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}

enum TestServerError: Error { case didNotStart }

/// A flag raised once, read from any task.
final class Flag: Sendable {
    private let raised = Mutex(false)
    func raise() { raised.withLock { $0 = true } }
    var isRaised: Bool { raised.withLock { $0 } }
}
