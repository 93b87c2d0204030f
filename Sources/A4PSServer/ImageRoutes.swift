import A4PS
import Foundation
import Hummingbird
import LivingImage
import NIOCore

/// The routes of the image API (all JSON unless noted):
///
/// - `GET /health` · `GET /protos` · `GET /protos/{proto}` (self-description)
/// - `POST /protos/{proto}/send/{selector}` body: the JSON argument → `{"answer": ...}`
/// - `GET|PUT|DELETE /protos/{proto}/methods/{selector}` (PUT body: Lua source, text)
/// - `GET|PUT|DELETE /protos/{proto}/slots/{slot}` (PUT body: JSON value)
/// - `POST /protos/{proto}/rollback?to=N` · `GET /history?proto=&subject=&limit=`
/// - `GET /events`: Server-Sent Events, one JSON event per message
///
/// Every route but `GET /health` needs the server's token (``TokenMiddleware``); sends past
/// the server's limit are refused with 429.
struct ImageRoutes: Sendable {
    let image: Image
    let maxBody: Int
    let sends: SendGate
    let eventHeartbeat: Duration
    /// Sends are the Architect's requests: while one runs, the motivator's goals keep out of the way.
    var motivator: Motivator? = nil

    func register(on router: Router<ImageRequestContext>) {
        // Anyone on the machine may ask whether the server is up, so it says nothing more.
        router.get("/health") { _, _ in
            JSONResponse.ok(["status": "ok"])
        }
        router.get("/protos") { _, _ in
            let protos = image.memory.snapshot().values.sorted { $0.name < $1.name }
            return JSONResponse.ok(.array(protos.map { p in
                ["name": .string(p.name), "parent": p.parent.map { .string($0) } ?? .null, "version": .integer(p.version),
                 "methods": .array(p.methods.keys.sorted().map { .string($0) }), "slots": .array(p.slots.keys.sorted().map { .string($0) })]
            }))
        }
        router.get("/protos/:proto") { _, context in
            try respond { try image.describe(try context.parameters.require("proto")) }
        }
        router.post("/protos/:proto/send/:selector") { request, context in
            guard let body = try await text(of: request) else { return JSONResponse.tooLarge(maxBody) }
            let response = await sends.run {
                await JSONResponse.respond {
                    let args = body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? JSONValue.null : try JSONValue(parsing: body)
                    let (proto, selector) = (try context.parameters.require("proto"), try context.parameters.require("selector"))
                    guard let motivator else { return ["answer": try await image.send(proto, selector, args)] }
                    defer { motivator.wake() }
                    return ["answer": try await motivator.presence.serving("send \(proto) \(selector)") { try await image.send(proto, selector, args) }]
                }
            }
            return response ?? JSONResponse.busy(sends.limit)
        }
        router.get("/protos/:proto/methods/:selector") { _, context in
            try respond {
                let proto = try context.parameters.require("proto")
                let selector = try context.parameters.require("selector")
                guard let method = image.memory.proto(named: proto)?.methods[selector] else {
                    throw ImageError(.noSuchMethod, "'\(proto)' has no method '\(selector)' of its own")
                }
                let history = try image.history(proto: proto, subject: "method:\(selector)", limit: 1000)
                return ["selector": .string(selector), "source": .string(method.source), "doc": .string(method.doc),
                        "version": .integer(method.version), "history": .array(history.map(\.json))]
            }
        }
        router.put("/protos/:proto/methods/:selector") { request, context in
            guard let source = try await text(of: request) else { return JSONResponse.tooLarge(maxBody) }
            return await JSONResponse.respond {
                let record = try await image.defineMethod(try context.parameters.require("selector"),
                                                          on: try context.parameters.require("proto"), source: source)
                return ["change": record?.json ?? .null]
            }
        }
        router.delete("/protos/:proto/methods/:selector") { _, context in
            await JSONResponse.respond {
                let record = try await image.removeMethod(try context.parameters.require("selector"), from: try context.parameters.require("proto"))
                return ["change": record?.json ?? .null]
            }
        }
        router.get("/protos/:proto/slots/:slot") { _, context in
            try respond {
                let proto = try context.parameters.require("proto")
                let slot = try context.parameters.require("slot")
                guard let value = try image.slot(slot, of: proto) else {
                    throw ImageError(.noSuchMethod, "'\(proto)' has no slot '\(slot)'")
                }
                return ["value": value]
            }
        }
        router.put("/protos/:proto/slots/:slot") { request, context in
            guard let body = try await text(of: request) else { return JSONResponse.tooLarge(maxBody) }
            return await JSONResponse.respond {
                let record = try await image.setSlot(try context.parameters.require("slot"), of: try context.parameters.require("proto"),
                                                     to: try JSONValue(parsing: body))
                return ["change": record?.json ?? .null]
            }
        }
        router.delete("/protos/:proto/slots/:slot") { _, context in
            await JSONResponse.respond {
                let record = try await image.setSlot(try context.parameters.require("slot"), of: try context.parameters.require("proto"), to: nil)
                return ["change": record?.json ?? .null]
            }
        }
        router.post("/protos/:proto/rollback") { request, context in
            await JSONResponse.respond {
                guard let to = request.uri.queryParameters.get("to", as: Int64.self) else {
                    throw ImageError(.rollback, "give the change to roll back to: ?to=N (see GET /history)")
                }
                return ["change": try await image.rollback(try context.parameters.require("proto"), toChange: to).json]
            }
        }
        router.get("/history") { request, _ in
            try respond {
                let q = request.uri.queryParameters
                let changes = try image.history(proto: q.get("proto"), subject: q.get("subject"),
                                                limit: q.get("limit", as: Int.self) ?? 100)
                return .array(changes.map(\.json))
            }
        }
        router.get("/events") { _, _ in
            EventStream(events: image.events, heartbeat: eventHeartbeat).response()
        }
    }

    /// The body as text; nil when it is longer than the limit (a body sent without a length).
    private func text(of request: Request) async throws -> String? {
        do {
            let buffer = try await request.body.collect(upTo: maxBody)
            return String(decoding: buffer.readableBytesView, as: UTF8.self)
        } catch is NIOTooManyBytesError {
            return nil
        }
    }

    private func respond(_ body: () throws -> JSONValue) throws -> Response {
        do { return JSONResponse.ok(try body()) } catch { return JSONResponse.from(error) }
    }
}
