import A4PSServer
import AsyncHTTPClient
import Foundation
import LivingImage
import NIOCore
import NIOHTTP1
import Testing

/// The HTTP API, served for real on an ephemeral loopback port and called over real sockets.
@Suite struct ImageServerTests {
    /// Starts the server on a fresh image and gives `body` its base URL and a client.
    func withServer(_ body: (String, HTTPClient, Image) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-server-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try await Image.open(at: dir.appendingPathComponent("s.image").path, interpreters: 1)
        defer { image.close() }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = ImageServer(image: image).buildApplication(port: 0) { port in
            continuation.yield(port)
            continuation.finish()
        }
        let serving = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await body("http://127.0.0.1:\(port)", client, image)
        } catch {
            try? await client.shutdown()
            serving.cancel()
            _ = await serving.result
            throw error
        }
        try await client.shutdown()
        serving.cancel()
        _ = await serving.result
    }

    func call(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, body: String? = nil) async throws -> (Int, JSONValue) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), try JSONValue(parsing: String(buffer: bytes)))
    }

    @Test func protosMethodsSlotsAndMessages() async throws {
        try await withServer { base, client, _ in
            let (status, health) = try await call(client, .GET, base + "/health")
            #expect(status == 200 && health["status"] == "ok")
            let (_, protos) = try await call(client, .GET, base + "/protos")
            #expect(protos.arrayValue?.compactMap { $0["name"]?.stringValue } == ["ALFRED", "BABS", "BRICK", "DEBUGGER", "Persona", "ROBIN"])
            let (_, brick) = try await call(client, .GET, base + "/protos/BRICK")
            #expect(brick["codex"]?["model"] == "phi3:mini-4k-instruct")

            let (defined, _) = try await call(client, .PUT, base + "/protos/BRICK/methods/double", body: "-- Doubles n.\nreturn args.n * 2")
            #expect(defined == 200)
            let (_, answer) = try await call(client, .POST, base + "/protos/BRICK/send/double", body: #"{"n": 21}"#)
            #expect(answer["answer"] == 42)
            let (_, method) = try await call(client, .GET, base + "/protos/BRICK/methods/double")
            #expect(method["doc"] == "Doubles n.")
            #expect(method["history"]?.arrayValue?.count == 1)

            let (_, notUnderstood) = try await call(client, .POST, base + "/protos/ROBIN/send/someSelector", body: #"{"a": 1}"#)
            #expect(notUnderstood["answer"]?["status"] == "not understood")

            let (setStatus, _) = try await call(client, .PUT, base + "/protos/ROBIN/slots/mood", body: #""calm""#)
            #expect(setStatus == 200)
            let (_, slot) = try await call(client, .GET, base + "/protos/ROBIN/slots/mood")
            #expect(slot["value"] == "calm")
            let (_, history) = try await call(client, .GET, base + "/history?proto=ROBIN")
            #expect(history.arrayValue?.last?["deltas"]?.arrayValue?.first?["subject"] == "slot:mood")
        }
    }

    @Test func errorsMapToStatusesWithClearMessages() async throws {
        try await withServer { base, client, image in
            let before = image.memory.snapshot()
            let (missing, body) = try await call(client, .GET, base + "/protos/NOBODY")
            #expect(missing == 404 && body["code"] == "noSuchProto")
            let (broken, compile) = try await call(client, .PUT, base + "/protos/BRICK/methods/bad", body: "return (")
            #expect(broken == 400 && compile["error"]?.stringValue?.contains("does not compile") == true)
            _ = try await call(client, .PUT, base + "/protos/BRICK/methods/spin", body: "while true do end")
            let (killed, kill) = try await call(client, .POST, base + "/protos/BRICK/send/spin")
            #expect(killed == 422 && kill["code"] == "killed")
            let (badJSON, _) = try await call(client, .POST, base + "/protos/BRICK/send/describe", body: "{nope")
            #expect(badJSON == 400)
            let after = image.memory.snapshot()
            #expect(after["ROBIN"] == before["ROBIN"])
            #expect(after["BRICK"]?.methods["bad"] == nil)
        }
    }

    @Test func eventsStreamAsServerSentEvents() async throws {
        try await withServer { base, client, _ in
            var request = HTTPClientRequest(url: base + "/events")
            request.method = .GET
            let response = try await client.execute(request, timeout: .seconds(10))
            #expect(response.headers["content-type"].first == "text/event-stream")
            _ = try await call(client, .PUT, base + "/protos/BABS/methods/ping", body: "return 'pong'")
            var received = ""
            for try await chunk in response.body {
                received += String(buffer: chunk)
                if received.contains("methodInstalled") { break }
            }
            #expect(received.contains(#""selector":"ping""#))
        }
    }
}
