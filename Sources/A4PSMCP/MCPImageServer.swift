import A4PS
import Dispatch
import Foundation
import Logging
import MCP
import SystemPackage

/// The living image over the Model Context Protocol (`a4ps mcp`): tools `ask`, `send`,
/// `memory_search`, `inspect`, `resume` and `fork`, resources `a4ps://protos/{name}` and
/// `a4ps://runs/{id}` (subscribable: the client hears when they change), on standard input and output. Logs go to standard error only.
///
/// ``run(input:output:)`` serves until the client closes standard input or the process gets
/// SIGINT or SIGTERM; tool calls still running then are cancelled and awaited before it returns,
/// so the caller may close the runtime.
public struct MCPImageServer: Sendable {
    public let runtime: Runtime
    /// How many recent runs `resources/list` names.
    public let recentRuns: Int
    let logger: Logger

    public init(runtime: Runtime, recentRuns: Int = 50, logger: Logger = Logger(label: "a4ps.mcp")) {
        self.runtime = runtime
        self.recentRuns = recentRuns
        self.logger = logger
    }

    /// Serves one client on `input` and `output` (see ``ProtocolOutput/reserve()`` for standard output).
    public func run(input: FileDescriptor = .standardInput, output: FileDescriptor) async throws {
        let server = Server(
            name: "a4ps", version: "1.0.0", title: "A4PS — the Living Image",
            instructions: """
                A4PS is a living image: four personas (ALFRED, BABS, BRICK, ROBIN) living as objects. \
                `ask` runs a real deliberation (minutes on a CPU); `send` sends a message to a proto; \
                `inspect` describes a proto (without arguments it lists them); `memory_search` searches the scrapbook; \
                `resume` continues a paused or stopped run, `fork` starts a new run from a checkpoint. \
                Resources: a4ps://protos/{name} and a4ps://runs/{id}; subscribe to hear when one changes.
                """,
            capabilities: .init(resources: .init(subscribe: true, listChanged: true), tools: .init(listChanged: false))
        )
        let tools = ImageTools(runtime: runtime, logger: logger)
        let resources = ImageResources(runtime: runtime, recentRuns: recentRuns)
        let calls = CallTracker()
        let logger = logger

        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: ImageTools.all) }
        await server.withMethodHandler(CallTool.self) { params in
            logger.info("mcp: tools/call \(params.name)")
            let refused = CallTool.Result(content: [.text(text: "the server is shutting down; start `a4ps mcp` again", annotations: nil, _meta: nil)], isError: true)
            return await calls.run(refused: refused) { await tools.call(params.name, params.arguments) }
        }
        await server.withMethodHandler(ListResources.self) { _ in ListResources.Result(resources: try await resources.list()) }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in
            ListResourceTemplates.Result(templates: ImageResources.templates)
        }
        await server.withMethodHandler(ReadResource.self) { params in
            ReadResource.Result(contents: try await resources.read(params.uri))
        }
        let subscriptions = ResourceSubscriptions()
        await server.withMethodHandler(ResourceSubscribe.self) { params in
            _ = try await resources.read(params.uri)  // an unknown resource is refused as "not found"
            await subscriptions.subscribe(params.uri)
            return Empty()
        }
        await server.withMethodHandler(ResourceUnsubscribe.self) { params in
            await subscriptions.unsubscribe(params.uri)
            return Empty()
        }

        let transport = StdioTransport(input: input, output: output, logger: logger)
        try await server.start(transport: transport)
        logger.info("mcp: serving \(runtime.image.path) on standard input and output")
        let notifier = ResourceNotifier(events: runtime.image.events, subscriptions: subscriptions, logger: logger)
        let notifying = Task { await notifier.run(notifying: server) }

        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler {
                logger.info("mcp: signal \(number), stopping")
                Task { await server.stop() }
            }
            source.resume()
            return source
        }
        defer { for source in signals { source.cancel() } }

        await server.waitUntilCompleted()
        await calls.finish()
        notifying.cancel()
        await notifying.value
        await server.stop()
        logger.info("mcp: the client went away; stopped")
    }
}
