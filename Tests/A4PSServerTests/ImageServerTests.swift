import A4PSServer
import AsyncHTTPClient
import Foundation
import LivingImage
import NIOCore
import NIOHTTP1
import TestHTTP
import Testing

/// The HTTP API, served for real on an ephemeral loopback port and called over real sockets.
@Suite struct ImageServerTests {
    @Test func protosMethodsSlotsAndMessages() async throws {
        try await TestServer.with { server in
            let (status, health, _) = try await server.api.call(.GET, "/health")
            #expect(status == 200 && health["status"] == "ok")
            let (_, protos, _) = try await server.api.call(.GET, "/protos")
            #expect(protos.arrayValue?.compactMap { $0["name"]?.stringValue } == ["ALFRED", "BABS", "BRICK", "DEBUGGER", "Persona", "ROBIN"])
            let (_, brick, _) = try await server.api.call(.GET, "/protos/BRICK")
            #expect(brick["codex"]?["model"] == "phi3:mini-4k-instruct")

            let (defined, _, _) = try await server.api.call(.PUT, "/protos/BRICK/methods/double", body: "-- Doubles n.\nreturn args.n * 2")
            #expect(defined == 200)
            let (_, answer, _) = try await server.api.call(.POST, "/protos/BRICK/send/double", body: #"{"n": 21}"#)
            #expect(answer["answer"] == 42)
            let (_, method, _) = try await server.api.call(.GET, "/protos/BRICK/methods/double")
            #expect(method["doc"] == "Doubles n.")
            #expect(method["history"]?.arrayValue?.count == 1)

            let (_, notUnderstood, _) = try await server.api.call(.POST, "/protos/ROBIN/send/someSelector", body: #"{"a": 1}"#)
            #expect(notUnderstood["answer"]?["status"] == "not understood")

            let (setStatus, _, _) = try await server.api.call(.PUT, "/protos/ROBIN/slots/mood", body: #""calm""#)
            #expect(setStatus == 200)
            let (_, slot, _) = try await server.api.call(.GET, "/protos/ROBIN/slots/mood")
            #expect(slot["value"] == "calm")
            let (_, history, _) = try await server.api.call(.GET, "/history?proto=ROBIN")
            #expect(history.arrayValue?.last?["deltas"]?.arrayValue?.first?["subject"] == "slot:mood")
        }
    }

    @Test func errorsMapToStatusesWithClearMessages() async throws {
        try await TestServer.with { server in
            let before = server.image.memory.snapshot()
            let (missing, body, _) = try await server.api.call(.GET, "/protos/NOBODY")
            #expect(missing == 404 && body["code"] == "noSuchProto")
            let (broken, compile, _) = try await server.api.call(.PUT, "/protos/BRICK/methods/bad", body: "return (")
            #expect(broken == 400 && compile["error"]?.stringValue?.contains("does not compile") == true)
            _ = try await server.api.call(.PUT, "/protos/BRICK/methods/spin", body: "while true do end")
            let (killed, kill, _) = try await server.api.call(.POST, "/protos/BRICK/send/spin")
            #expect(killed == 422 && kill["code"] == "killed")
            let (badJSON, _, _) = try await server.api.call(.POST, "/protos/BRICK/send/describe", body: "{nope")
            #expect(badJSON == 400)
            let after = server.image.memory.snapshot()
            #expect(after["ROBIN"] == before["ROBIN"])
            #expect(after["BRICK"]?.methods["bad"] == nil)
        }
    }

    @Test func eventsStreamAsServerSentEvents() async throws {
        try await TestServer.with { server in
            var request = HTTPClientRequest(url: server.base + "/events")
            request.headers.add(name: "Authorization", value: "Bearer \(server.token.value)")
            let response = try await server.client.execute(request, timeout: .seconds(30))
            #expect(response.headers["content-type"].first == "text/event-stream")
            _ = try await server.api.call(.PUT, "/protos/BABS/methods/ping", body: "return 'pong'")
            var received = ""
            for try await chunk in response.body {
                received += String(buffer: chunk)
                if received.contains("methodInstalled") { break }
            }
            #expect(received.contains(#""selector":"ping""#))
        }
    }
}
