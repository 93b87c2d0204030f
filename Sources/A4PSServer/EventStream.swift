import Hummingbird
import LivingImage
import ServiceLifecycle

/// The `GET /events` response: the image's events as Server-Sent Events, one JSON event per message.
///
/// The stream ends, and its subscription with it, when the client goes (noticed at the next
/// write: an idle stream writes a comment line every `heartbeat`), when the image's event bus
/// finishes, or when the server shuts down gracefully; so an open stream never holds a
/// shutdown up.
struct EventStream: Sendable {
    let events: EventBus
    let heartbeat: Duration

    private enum Chunk: Sendable {
        case event(ImageEvent)
        case heartbeat
    }

    func response() -> Response {
        let subscription = events.subscribe()
        let heartbeat = heartbeat
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            let (chunks, feed) = AsyncStream<Chunk>.makeStream(bufferingPolicy: .bufferingNewest(4096))
            try await withGracefulShutdownHandler {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in subscription { feed.yield(.event(event)) }
                        feed.finish()
                    }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: heartbeat)
                            feed.yield(.heartbeat)
                        }
                    }
                    try await writer.write(ByteBuffer(string: ": a4ps image events\n\n"))
                    // A write to a client that has gone throws, which cancels both feeders.
                    for await chunk in chunks {
                        switch chunk {
                        case .event(let event): try await writer.write(ByteBuffer(string: "data: \(event.json.jsonText)\n\n"))
                        case .heartbeat: try await writer.write(ByteBuffer(string: ": still here\n\n"))
                        }
                    }
                    group.cancelAll()
                }
            } onGracefulShutdown: {
                feed.finish()
            }
            try await writer.finish(nil)
        })
    }
}
