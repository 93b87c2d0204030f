import AsyncHTTPClient
import Foundation
import JSON
import NIOCore
import NIOHTTP1
import Testing

/// A client of the image API for tests, in-process servers and `a4ps serve` processes alike: it
/// presents the server's token (unless told otherwise) and decodes the JSON answers.
public struct APIClient: Sendable {
    public let base: String
    public let token: String?
    /// The connections to use; nil: each call opens its own (and shuts them down).
    public let client: HTTPClient?

    public init(base: String, token: String?, client: HTTPClient? = nil) {
        self.base = base
        self.token = token
        self.client = client
    }

    /// Runs `body` with an HTTP client of its own (its own connections), shut down afterwards whatever happens.
    public static func withHTTPClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Calls the API with the token (`token: .some(nil)` presents none, `.some(x)` presents x) and
    /// decodes the JSON answer (null for an empty body).
    public func call(_ method: HTTPMethod, _ path: String, body: String? = nil, token: String?? = .none,
                     headers: [(String, String)] = []) async throws -> (status: Int, json: JSONValue, headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let presented = token ?? self.token { request.headers.add(name: "Authorization", value: "Bearer \(presented)") }
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let send: (HTTPClient) async throws -> (Int, JSONValue, HTTPHeaders) = { client in
            let response = try await client.execute(request, timeout: .seconds(60))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            return (Int(response.status.code), text.isEmpty ? JSONValue.null : try JSONValue(parsing: text), response.headers)
        }
        if let client { return try await send(client) }
        return try await Self.withHTTPClient(send)
    }

    /// Opens `GET /events` on `client` and returns its body once the greeting has arrived.
    public func openEvents(on client: HTTPClient,
                           sourceLocation: SourceLocation = #_sourceLocation) async throws -> HTTPClientResponse.Body.AsyncIterator {
        var request = HTTPClientRequest(url: base + "/events")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await client.execute(request, timeout: .seconds(60))
        #expect(response.status.code == 200, sourceLocation: sourceLocation)
        var body = response.body.makeAsyncIterator()
        let greeting = try await body.next().map { String(buffer: $0) } ?? ""
        #expect(greeting.hasPrefix(": a4ps image events"), "the stream began with \(greeting.prefix(80))", sourceLocation: sourceLocation)
        return body
    }
}
