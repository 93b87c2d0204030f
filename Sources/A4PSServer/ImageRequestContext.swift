import Hummingbird

/// The request context of the image API: Hummingbird's basics plus the port the request came
/// in on, which the `Host` and `Origin` checks compare against.
public struct ImageRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The server's port as this connection reached it.
    public let localPort: Int?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.localPort = source.channel.localAddress?.port
    }
}
