import A4PSServer
import AsyncHTTPClient
import Foundation
import LivingImage
import NIOCore
import TestHTTP
import Testing

/// `GET /events` never outlives its client or the server: its subscription ends when the client
/// goes, and a graceful shutdown ends every stream, lets sends in flight finish, and returns.
@Suite struct EventStreamTests {
    @Test func aStreamEndsWhenItsClientGoes() async throws {
        try await TestServer.with({ $0.eventHeartbeat = .milliseconds(100) }) { server in
            let events = server.image.events
            try await APIClient.withHTTPClient { gone in
                _ = try await server.api.openEvents(on: gone)
                #expect(await server.eventually { events.subscriberCount == 1 })
            }
            #expect(await server.eventually { events.subscriberCount == 0 },
                    "the subscription of a client that has gone is still open: \(events.subscriberCount)")
        }
    }

    @Test func aGracefulShutdownEndsStreamsAndFinishesSends() async throws {
        // The default heartbeat (10 s): the shutdown must not wait for one.
        try await TestServer.with { server in
            let events = server.image.events
            _ = try await server.api.call(.PUT, "/protos/BRICK/methods/slow", body: "emit('started', {})\nsleep(1)\nreturn 'finished'")
            let watch = events.subscribe()     // this test's own, not the server's

            try await APIClient.withHTTPClient { gone in _ = try await server.api.openEvents(on: gone) }
            try await APIClient.withHTTPClient { staying in
                var stream = try await server.api.openEvents(on: staying)
                let send = Task { try await server.api.call(.POST, "/protos/BRICK/send/slow") }
                for await event in watch {
                    if case .emitted(_, "started", _) = event { break }
                }
                let took = await server.stop()
                print("graceful shutdown with event streams open and gone and a send in flight: \(took)")
                #expect(took < .seconds(30))

                let (status, answer, _) = try await send.value
                #expect(status == 200 && answer["answer"] == "finished")
                // The open stream was ended by the server: its body reaches its end.
                var rest = ""
                while let chunk = try await stream.next() { rest += String(buffer: chunk) }
                #expect(rest.contains("started"))
            }
            #expect(await server.eventually { events.subscriberCount == 1 }, "server streams left open: \(events.subscriberCount - 1)")
            _ = watch
        }
    }

    @Test func aStreamOnAFinishedBusEndsAtOnce() async throws {
        let bus = EventBus()
        bus.finish()
        var ended = false
        for await _ in bus.subscribe() {}
        ended = true
        #expect(ended && bus.subscriberCount == 0)
    }
}
