import AsyncHTTPClient
import Foundation
import LivingImage
import NIOCore
import NIOHTTP1

/// The mark a running `a4ps serve` leaves beside its image, `<image>.serving` (its process and
/// URL), so that other a4ps commands on the same image know a server holds it: the server's
/// schedulers own the GPU and its runs, so a command that thinks or writes goes through the
/// server's API (``ServedImage``) or refuses, saying how to go on. Removed when the server stops;
/// a mark whose process is gone (a killed server) counts for nothing.
struct ServerClaim: Codable, Sendable {
    var pid: Int32
    var url: String

    static func path(forImage image: String) -> String { image + ".serving" }

    /// Marks the image as served by this process at `url`.
    static func write(forImage image: String, url: String) throws {
        let data = try JSONEncoder().encode(ServerClaim(pid: getpid(), url: url))
        try data.write(to: URL(fileURLWithPath: path(forImage: image)), options: .atomic)
    }

    /// Removes this process's mark (another server's is left alone).
    static func remove(forImage image: String) {
        guard let claim = read(forImage: image), claim.pid == getpid() else { return }
        try? FileManager.default.removeItem(atPath: path(forImage: image))
    }

    /// The live server holding the image, if any.
    static func live(forImage image: String) -> ServerClaim? {
        guard let claim = read(forImage: image), claim.pid != getpid(), kill(claim.pid, 0) == 0 || errno == EPERM,
              let command = try? String(contentsOfFile: "/proc/\(claim.pid)/cmdline", encoding: .utf8),
              command.contains("serve")
        else { return nil }
        return claim
    }

    private static func read(forImage image: String) -> ServerClaim? {
        guard let data = FileManager.default.contents(atPath: path(forImage: image)) else { return nil }
        return try? JSONDecoder().decode(ServerClaim.self, from: data)
    }
}

/// Why a command will not open an image a server holds: what to do instead.
struct ServedImageRefusal: Error, CustomStringConvertible {
    let image: String
    let claim: ServerClaim

    var description: String {
        "a4ps serve (process \(claim.pid)) holds \(image) and owns its models and runs, so this command does not open it beside the server. "
            + "Use the server: its API at \(claim.url) (described at \(claim.url)/openapi.json; token in \(image).token) or the Entropic UI, "
            + "or stop the server first. Commands that only read (list, show, search, history, stats) work while it runs."
    }
}

/// A command sent through the server that holds the image, with the image's token.
struct ServedImage: Sendable {
    let claim: ServerClaim
    let token: String

    init(image: String, claim: ServerClaim) throws {
        self.claim = claim
        guard let text = try? String(contentsOfFile: image + ".token", encoding: .utf8) else {
            throw ServedImageRefusal(image: image, claim: claim)
        }
        token = text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `method path` with a JSON body (`raw`: a string body sent as plain text); the answer's JSON,
    /// or the server's error as a thrown message.
    func call(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, raw: Bool = false,
              timeout: TimeAmount = .hours(1)) async throws -> JSONValue {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            var request = HTTPClientRequest(url: claim.url + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            if let body {
                let text = raw ? (body.stringValue ?? "") : body.jsonText
                request.headers.add(name: "Content-Type", value: raw ? "text/plain; charset=utf-8" : "application/json")
                request.body = .bytes(ByteBuffer(string: text))
            }
            let response = try await client.execute(request, timeout: timeout)
            let text = String(buffer: try await response.body.collect(upTo: 64 << 20))
            try await client.shutdown()
            let json = (try? JSONValue(parsing: text)) ?? .string(text)
            guard (200..<300).contains(response.status.code) else {
                throw ServedCallFailure(description: "the server at \(claim.url) answered \(response.status.code): \(json["error"]?.stringValue ?? text)")
            }
            return json
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// A request the serving server refused or could not answer.
struct ServedCallFailure: Error, CustomStringConvertible {
    let description: String
}
