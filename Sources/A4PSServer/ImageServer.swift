import A4PS
import Foundation
import Hummingbird
import LivingImage
import Logging
import ServiceLifecycle

/// The HTTP face of a running a4ps: a JSON API over the image (protos, methods, slots, messages,
/// the change log), and — with a ``Runtime`` — over the whole of it (deliberations, memory, the
/// forge and the debugger, models, proposals and goals), a Server-Sent Events stream of
/// everything that happens, the OpenAPI document of it all, and the Entropic UI.
///
/// Its door (``Configuration``): the `Host` and `Origin` checks, the bearer token or the UI's
/// session cookie, the body limit and the cap on concurrent sends. Built by one function for the
/// executable and the tests alike.
public struct ImageServer: Sendable {
    public let image: Image
    /// The codex amendment proposals the Architect decides over `/proposals` (absent: those routes answer 404).
    public let amendments: CodexAmendments?
    /// The motivator whose goals the Architect sees over `/goals`, and which keeps out of the way of
    /// the sends made here (absent: no `/goals` routes).
    public let motivator: Motivator?
    /// The ascensions whose proposals share `/proposals` with the codex amendments.
    public let ascension: AscensionWorker?
    /// The whole runtime (absent: only the image's routes).
    public let runtime: Runtime?
    /// The deliberations started over the API, driven in the background.
    public let background: BackgroundRuns?
    /// The browser UI's one-time login codes and sessions.
    public let sessions = LoginSessions()
    let logger: Logger

    public init(image: Image, amendments: CodexAmendments? = nil, motivator: Motivator? = nil, ascension: AscensionWorker? = nil,
                logger: Logger = Logger(label: "a4ps.server")) {
        self.image = image
        self.ascension = ascension
        self.amendments = amendments
        self.motivator = motivator
        self.runtime = nil
        self.background = nil
        self.logger = logger
    }

    /// The server of a whole runtime: every route.
    public init(runtime: Runtime, logger: Logger = Logger(label: "a4ps.server")) {
        image = runtime.image
        amendments = runtime.amendments
        motivator = runtime.motivator
        ascension = runtime.ascension
        self.runtime = runtime
        background = BackgroundRuns(runtime: runtime, logger: logger)
        self.logger = logger
    }

    /// The application, listening as `configuration` says (port 0 picks a free one); `onListening`
    /// gets the bound port. Refuses a non-loopback host without a token.
    public func buildApplication(_ configuration: Configuration,
                                 onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws(ServerError) -> some ApplicationProtocol {
        guard configuration.token != nil || Configuration.isLoopback(configuration.host) else {
            throw ServerError.exposedWithoutToken(configuration.host)
        }
        let router = Router(context: ImageRequestContext.self)
        router.add(middleware: HostCheckMiddleware(hostNames: configuration.hostNames))
        if let token = configuration.token { router.add(middleware: TokenMiddleware(token: token, sessions: sessions)) }
        router.add(middleware: BodyLimitMiddleware(maxBytes: configuration.maxBodyBytes))
        let sends = SendGate(limit: configuration.maxConcurrentSends)
        let body = RequestBody(maxBytes: configuration.maxBodyBytes)
        ImageRoutes(image: image, requestBody: body, sends: sends,
                    eventHeartbeat: configuration.eventHeartbeat, motivator: motivator).register(on: router)
        UIRoutes(sessions: sessions, directory: UIRoutes.defaultDirectory()).register(on: router)
        OpenAPIRoute().register(on: router)
        if let runtime, let background {
            RunRoutes(runtime: runtime, background: background, body: body, sends: sends).register(on: router)
            MemoryRoutes(scrapbook: runtime.scrapbook, body: body).register(on: router)
            RepairRoutes(runtime: runtime, body: body, sends: sends).register(on: router)
            ModelRoutes(runtime: runtime).register(on: router)
            StrategicRoutes(runtime: runtime).register(on: router)
        }
        if let amendments { ProposalRoutes(amendments: amendments, ascension: ascension, maxBody: configuration.maxBodyBytes).register(on: router) }
        if let motivator { GoalRoutes(motivator: motivator).register(on: router) }
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "a4ps"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully: no new connections, event
    /// streams end, requests in flight finish (those still running after
    /// ``Configuration/shutdownGrace`` are cancelled), and only then does it return.
    public func run(_ configuration: Configuration, onListening: @escaping @Sendable (Int) async -> Void) async throws {
        let application = try buildApplication(configuration, onListening: onListening)
        var group = ServiceGroupConfiguration(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownGrace
        group.maximumCancellationDuration = .seconds(10)
        try await ServiceGroup(configuration: group).run()
    }
}
