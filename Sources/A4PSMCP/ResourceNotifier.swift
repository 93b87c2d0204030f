import LivingImage
import Logging
import MCP

/// The resources a client subscribed to (`resources/subscribe`), by URI.
actor ResourceSubscriptions {
    private var uris: Set<String> = []

    func subscribe(_ uri: String) { uris.insert(uri) }
    func unsubscribe(_ uri: String) { uris.remove(uri) }
    func contains(_ uri: String) -> Bool { uris.contains(uri) }
}

/// Tells the MCP client when the image's resources change, from the image's event bus:
/// `notifications/resources/list_changed` when a proto is created or a run this server has not
/// seen yet steps; `notifications/resources/updated` when a subscribed `a4ps://protos/{name}`
/// changes (a method, a slot, a swap, a rollback) or a subscribed `a4ps://runs/{id}` steps or stops.
struct ResourceNotifier: Sendable {
    let events: EventBus
    let subscriptions: ResourceSubscriptions
    let logger: Logger

    /// Forwards changes until the event bus finishes or the task is cancelled.
    func run(notifying server: Server) async {
        var seenRuns: Set<String> = []
        for await event in events.subscribe() {
            var listChanged = false
            let uri: String
            switch event {
            case .protoCreated(let proto, _):
                listChanged = true
                uri = ImageResources.protoPrefix + ImageResources.escape(proto)
            case .protoSwapped(let proto, _, _, _, _), .methodInstalled(let proto, _, _, _), .methodRemoved(let proto, _, _),
                 .slotChanged(let proto, _, _), .rolledBack(let proto, _, _):
                uri = ImageResources.protoPrefix + ImageResources.escape(proto)
            case .runStepped(let run, _, _, _), .runStopped(let run, _, _):
                listChanged = seenRuns.insert(run).inserted
                uri = ImageResources.runPrefix + ImageResources.escape(run)
            default:
                continue
            }
            do {
                if listChanged { try await server.notify(ResourceListChangedNotification.message()) }
                if await subscriptions.contains(uri) { try await server.notify(ResourceUpdatedNotification.message(.init(uri: uri))) }
            } catch {
                logger.info("mcp: a resource notification could not be sent: \(error)")
            }
        }
    }
}
