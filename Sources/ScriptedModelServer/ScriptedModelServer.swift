import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// A real HTTP model server on loopback that speaks Ollama's API and the OpenAI-compatible API,
/// answering from a ``Script``; for tests, benchmarks and trying a4ps without a GPU.
///
/// Everything it sends is labelled: the header `X-A4PS-Scripted: true`, its ``version`` in
/// `/api/version` (unless the script sets `ollama_version`) and `/version`, and (when no rule matches) a reply that says it is scripted;
/// the script's `text_prefix` (e.g. `"[scripted] "`) marks every generated text too.
///
/// In a test: `let server = ScriptedModelServer(script: ...)`, `let url = try await server.start()`,
/// and `await server.stop()` at the end.
public final class ScriptedModelServer: Sendable {
    /// The version string it reports.
    public static let version = "0.0.0-a4ps-scripted"

    /// The server's world: models, resident set, request log, counters.
    public let state: ScriptedServerState
    let logger: Logger
    private let running = Mutex<Task<Void, any Error>?>(nil)
    private let boundURL = Mutex<String?>(nil)

    public init(script: Script = Script(), logger: Logger? = nil) {
        state = ScriptedServerState(script: script)
        if let logger {
            self.logger = logger
        } else {
            // stop() cancels the server, which HummingbirdCore reports at error level; in-process
            // servers (tests, benchmarks) stay quiet unless given a logger.
            var quiet = Logger(label: "a4ps.scripted-server")
            quiet.logLevel = .critical
            self.logger = quiet
        }
    }

    /// The base URL (`http://127.0.0.1:PORT`) once started.
    public var url: String? { boundURL.withLock { $0 } }

    /// The application, built the same way for the executable and for tests.
    func buildApplication(host: String, port: Int, onListening: @escaping @Sendable (Int) async -> Void) -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ScriptedLabelMiddleware<BasicRequestContext>(state: state))
        OllamaRoutes(state: state).register(on: router)
        OpenAIRoutes(state: state).register(on: router)
        ControlRoutes(state: state).register(on: router)
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// Starts listening in the background and returns the base URL; port 0 picks a free port.
    @discardableResult
    public func start(host: String = "127.0.0.1", port: Int = 0) async throws -> String {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = buildApplication(host: host, port: port) { bound in
            continuation.yield(bound)
            continuation.finish()
        }
        let task = Task {
            defer { continuation.finish() }
            try await app.run()
        }
        running.withLock { $0 = task }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else {
            _ = await task.result
            if case .failure(let error) = await task.result { throw error }
            throw ScriptError(message: "the scripted server stopped before listening on \(host):\(port)")
        }
        let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(bound)"
        boundURL.withLock { $0 = url }
        return url
    }

    /// Stops the server started with ``start(host:port:)`` and waits until it has closed.
    public func stop() async {
        let task = running.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        _ = await task?.result
        boundURL.withLock { $0 = nil }
    }

    /// Runs in the foreground until SIGINT or SIGTERM (the executable's mode).
    public func run(host: String, port: Int, onListening: @escaping @Sendable (String) async -> Void) async throws {
        let app = buildApplication(host: host, port: port) { bound in
            await onListening("http://\(host.contains(":") ? "[\(host)]" : host):\(bound)")
        }
        try await app.runService()
    }

    /// Every request received so far (except `/_scripted/...`), oldest first.
    public func requests() async -> [RecordedRequest] { await state.requests }

    /// Forgets the recorded requests.
    public func clearRequests() async { await state.clearRequests() }

    /// The counters (loads, unloads, peak resident bytes) and the resident set.
    public func stats() async -> ScriptedServerStats { await state.currentStats() }

    /// Empties the resident set, request log, fault counters and counters.
    public func reset() async { await state.reset() }
}
