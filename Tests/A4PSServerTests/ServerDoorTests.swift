import A4PSServer
import AsyncHTTPClient
import Foundation
import LivingImage
import NIOCore
import NIOHTTP1
import TestHTTP
import Testing

/// What the server turns away: requests without the token, for another host or from another
/// web page, bodies past the limit, sends past the limit, and listening beyond loopback
/// without a token. Each refusal is JSON with a message that names the fix, and changes nothing.
@Suite struct ServerDoorTests {
    @Test func everyRouteButHealthNeedsTheToken() async throws {
        try await TestServer.with { server in
            let (health, _, _) = try await server.api.call(.GET, "/health", token: .some(nil))
            #expect(health == 200)

            let refusals: [(HTTPMethod, String, String?)] = [
                (.GET, "/protos", nil), (.GET, "/protos/BRICK", nil), (.GET, "/history", nil), (.GET, "/events", nil),
                (.PUT, "/protos/BRICK/methods/evil", "return 1"), (.PUT, "/protos/BRICK/slots/owner", #""evil""#),
                (.DELETE, "/protos/BRICK/methods/describe", nil), (.POST, "/protos/BRICK/send/describe", nil),
                (.POST, "/protos/BRICK/rollback?to=1", nil), (.GET, "/no/such/route", nil),
            ]
            let before = server.image.memory.snapshot()
            for (method, path, body) in refusals {
                let (status, json, headers) = try await server.api.call(method, path, body: body, token: .some(nil))
                #expect(status == 401, "\(method) \(path) without a token: \(status)")
                #expect(json["code"] == "unauthorized")
                #expect(json["error"]?.stringValue?.contains("Authorization: Bearer") == true)
                #expect(json["error"]?.stringValue?.contains(server.token.path) == true)
                #expect(headers["WWW-Authenticate"].first?.hasPrefix("Bearer") == true)
            }
            for wrong in ["nope", String(server.token.value.dropLast()), server.token.value + "0", server.token.value.uppercased(), ""] {
                let (status, json, _) = try await server.api.call(.PUT, "/protos/BRICK/methods/evil", body: "return 1", token: wrong)
                #expect(status == 401 && json["code"] == "unauthorized", "token '\(wrong)': \(status)")
            }
            let (basic, _, _) = try await server.api.call(.GET, "/protos", token: .some(nil),
                                                      headers: [("Authorization", "Basic \(server.token.value)")])
            #expect(basic == 401)
            #expect(server.image.memory.snapshot() == before)

            let (lowercase, _, _) = try await server.api.call(.GET, "/protos", token: .some(nil),
                                                          headers: [("Authorization", "bearer \(server.token.value)")])
            #expect(lowercase == 200)
        }
    }

    @Test func requestsForAnotherHostOrFromAnotherPageAreRefused() async throws {
        try await TestServer.with { server in
            let port = server.port
            for host in ["evil.example:\(port)", "127.0.0.1:\(port + 1)", "localhost", "127.0.0.1.evil.example:\(port)"] {
                let (status, json, _) = try await server.api.call(.PUT, "/protos/BRICK/slots/owner", body: #""rebound""#, headers: [("Host", host)])
                #expect(status == 403 && json["code"] == "badHost", "Host \(host): \(status)")
                #expect(json["error"]?.stringValue?.contains("--allowed-host") == true)
            }
            for origin in ["http://evil.example", "null", "https://127.0.0.1:\(port)", "http://127.0.0.1:\(port + 1)",
                           "http://127.0.0.1:\(port).evil.example"] {
                let (status, json, _) = try await server.api.call(.POST, "/protos/BRICK/send/describe", headers: [("Origin", origin)])
                #expect(status == 403 && json["code"] == "badOrigin", "Origin \(origin): \(status)")
            }
            // Health is open to anyone, but not to another page or another host.
            let (health, _, _) = try await server.api.call(.GET, "/health", token: .some(nil), headers: [("Origin", "http://evil.example")])
            #expect(health == 403)
            #expect(try server.image.slot("owner", of: "BRICK") != "rebound")

            for host in ["localhost:\(port)", "LOCALHOST:\(port)", "[::1]:\(port)", "127.0.0.1:\(port)"] {
                let (status, _, _) = try await server.api.call(.GET, "/protos/BRICK", headers: [("Host", host)])
                #expect(status == 200, "Host \(host): \(status)")
            }
            let (sameOrigin, _, _) = try await server.api.call(.GET, "/protos", headers: [("Origin", "http://localhost:\(port)")])
            #expect(sameOrigin == 200)
        }
    }

    @Test func anAllowedHostIsLetIn() async throws {
        try await TestServer.with({ $0.allowedHosts = ["a4ps.lan"] }) { server in
            let (status, _, _) = try await server.api.call(.GET, "/protos", headers: [("Host", "a4ps.lan:\(server.port)")])
            #expect(status == 200)
            let (other, _, _) = try await server.api.call(.GET, "/protos", headers: [("Host", "other.lan:\(server.port)")])
            #expect(other == 403)
        }
    }

    @Test func bodiesPastTheLimitAreRefused() async throws {
        try await TestServer.with({ $0.maxBodyBytes = 1024 }) { server in
            let big = "\"" + String(repeating: "x", count: 4000) + "\""
            let (announced, json, _) = try await server.api.call(.PUT, "/protos/ROBIN/slots/mood", body: big)
            #expect(announced == 413 && json["code"] == "bodyTooLarge")
            #expect(json["error"]?.stringValue?.contains("1024 bytes") == true)

            // Sent in chunks, without a length: cut where the route reads it.
            var request = HTTPClientRequest(url: server.base + "/protos/BRICK/methods/huge")
            request.method = .PUT
            request.headers.add(name: "Authorization", value: "Bearer \(server.token.value)")
            let (chunks, feed) = AsyncStream<ByteBuffer>.makeStream()
            for _ in 0..<8 { feed.yield(ByteBuffer(string: "-- " + String(repeating: "y", count: 500) + "\n")) }
            feed.finish()
            request.body = .stream(chunks, length: .unknown)
            let response = try await server.client.execute(request, timeout: .seconds(30))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(response.status.code == 413 && text.contains("bodyTooLarge"))

            #expect(try server.image.slot("mood", of: "ROBIN") == nil)
            #expect(server.image.memory.proto(named: "BRICK")?.methods["huge"] == nil)
            let (small, _, _) = try await server.api.call(.PUT, "/protos/ROBIN/slots/mood", body: #""calm""#)
            #expect(small == 200)
        }
    }

    @Test func sendsPastTheLimitAreRefusedUntilOneFinishes() async throws {
        try await TestServer.with({ $0.maxConcurrentSends = 1 }) { server in
            _ = try await server.api.call(.PUT, "/protos/BRICK/methods/slow", body: "emit('started', {})\nsleep(3)\nreturn 'done'")
            let events = server.image.events.subscribe()
            let first = Task { try await server.api.call(.POST, "/protos/BRICK/send/slow") }
            for await event in events {
                if case .emitted(_, "started", _) = event { break }
            }
            let (refused, json, headers) = try await server.api.call(.POST, "/protos/BRICK/send/describe")
            #expect(refused == 429 && json["code"] == "busy")
            #expect(json["error"]?.stringValue?.contains("--max-sends") == true)
            #expect(headers["Retry-After"].first == "1")
            // Reads and other changes are not sends: they go on.
            let (read, _, _) = try await server.api.call(.GET, "/protos/BRICK")
            #expect(read == 200)

            let (done, answer, _) = try await first.value
            #expect(done == 200 && answer["answer"] == "done")
            let (after, _, _) = try await server.api.call(.POST, "/protos/BRICK/send/describe")
            #expect(after == 200)
        }
    }

    @Test func listeningBeyondLoopbackNeedsAToken() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-exposed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try await Image.open(at: dir.appendingPathComponent("x.image").path, interpreters: 1)
        defer { image.close() }
        for host in ["0.0.0.0", "::", "192.168.1.20", "example.com"] {
            #expect(!ImageServer.Configuration.isLoopback(host), "\(host)")
            let error = #expect(throws: ServerError.self) {
                _ = try ImageServer(image: image).buildApplication(.init(host: host, port: 0, token: nil))
            }
            #expect(error?.description.contains("refusing to listen on \(host) without a token") == true)
        }
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"] {
            #expect(ImageServer.Configuration.isLoopback(host), "\(host)")
            _ = try ImageServer(image: image).buildApplication(.init(host: host, port: 0, token: nil))
        }
    }
}
