import Foundation
import Hummingbird
import LivingImage
import Logging

/// The HTTP face of an open image: a JSON API over protos, methods, slots, messages and the
/// change log, plus a Server-Sent Events stream of the image's events.
///
/// Built by one function for the executable and the tests alike.
public struct ImageServer: Sendable {
    public let image: Image
    let logger: Logger

    public init(image: Image, logger: Logger = Logger(label: "a4ps.server")) {
        self.image = image
        self.logger = logger
    }

    /// The application: routes on `host:port` (port 0 picks a free one); `onListening` gets the bound port.
    public func buildApplication(host: String = "127.0.0.1", port: Int = 8350,
                                 onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        ImageRoutes(image: image).register(on: router)
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "a4ps"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully.
    public func run(host: String, port: Int, onListening: @escaping @Sendable (Int) async -> Void) async throws {
        try await buildApplication(host: host, port: port, onListening: onListening).runService()
    }
}
