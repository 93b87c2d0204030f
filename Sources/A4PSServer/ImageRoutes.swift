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
/// - `PUT` with `If-Match: <version>` installs only over that version (409 with the current source otherwise)
/// - `POST /protos/{proto}/methods/{selector}/try` body `{"source", "args"}`: runs a candidate on a clone
/// - `POST /protos/{proto}/clone` body `{"name"}`: a copy of the proto under a new name (the halo's Clone)
/// - `POST /protos/{proto}/rollback?to=N` · `GET /history?proto=&subject=&limit=` · `GET /export` (the image file)
/// - `GET /events`: Server-Sent Events, one JSON event per message
///
/// Every route but `GET /health` needs the server's token (``TokenMiddleware``); sends past
/// the server's limit are refused with 429.
struct ImageRoutes: Sendable {
    let image: Image
    let requestBody: RequestBody
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
            guard let body = try await requestBody.text(of: request) else { return JSONResponse.tooLarge(requestBody.maxBytes) }
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
        router.post("/protos/:proto/clone") { request, context in
            guard let text = try await requestBody.text(of: request) else { return JSONResponse.tooLarge(requestBody.maxBytes) }
            return await JSONResponse.respond(status: .created) {
                let original = try context.parameters.require("proto")
                let name = try RequestBody.object(text).requiredString("name")
                try await image.clone(original, as: name)
                return ["proto": try image.describe(name)]
            }
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
            guard let source = try await requestBody.text(of: request) else { return JSONResponse.tooLarge(requestBody.maxBytes) }
            let (proto, selector) = (try context.parameters.require("proto"), try context.parameters.require("selector"))
            // `If-Match: <version>`: install only over the version the editor started from (0: a new method).
            if let expected = request.headers[.ifMatch] {
                guard let version = Int64(expected.trimmingCharacters(in: CharacterSet(charactersIn: "\" W/"))) else {
                    return JSONResponse.error(.badRequest, "If-Match must be the method's version (a number; 0 for a new method)", code: "invalidIfMatch")
                }
                let current = image.memory.proto(named: proto)?.methods[selector]
                if (current?.version ?? 0) != version {
                    var response = JSONResponse.ok(["error": .string("'\(proto)>>\(selector)' changed since version \(version): it is now "
                                                        + (current.map { "version \($0.version)" } ?? "gone") + "; merge your edit into it and install again"),
                                                    "code": "conflict",
                                                    "current": current.map { ["source": .string($0.source), "version": .integer($0.version)] } ?? .null],
                                                   status: .conflict)
                    response.headers[.eTag] = "\(current?.version ?? 0)"
                    return response
                }
            }
            return await JSONResponse.respond {
                let record = try await image.defineMethod(selector, on: proto, source: source)
                return ["change": record?.json ?? .null,
                        "version": image.memory.proto(named: proto)?.methods[selector].map { .integer($0.version) } ?? .null]
            }
        }
        // A method's candidate source run on a clone of its proto: nothing is committed.
        router.post("/protos/:proto/methods/:selector/try") { request, context in
            guard let text = try await requestBody.text(of: request) else { return JSONResponse.tooLarge(requestBody.maxBytes) }
            let response = await sends.run {
                await JSONResponse.respond {
                    let fields = try RequestBody.object(text)
                    let (proto, selector) = (try context.parameters.require("proto"), try context.parameters.require("selector"))
                    let source = try fields.requiredString("source")
                    guard var clone = image.memory.proto(named: proto) else { throw ImageError.noSuchProto(proto) }
                    _ = try Name.validate(selector, as: .selector)
                    clone.define(selector, source: source)
                    return ["answer": try await image.trial(clone, proto, selector, fields["args"] ?? .null)]
                }
            }
            return response ?? JSONResponse.busy(sends.limit)
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
            guard let body = try await requestBody.text(of: request) else { return JSONResponse.tooLarge(requestBody.maxBytes) }
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
        // A consistent single-file copy of the image, taken while it stays in use.
        router.get("/export") { _, _ in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-export-\(UUID().uuidString)")
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: directory) }
                let file = directory.appendingPathComponent("export.image").path
                try image.export(to: file)
                let data = try Data(contentsOf: URL(fileURLWithPath: file))
                var headers = HTTPFields()
                headers[.contentType] = "application/vnd.sqlite3"
                headers[.contentDisposition] = #"attachment; filename="a4ps.image""#
                return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
            } catch {
                return JSONResponse.from(error)
            }
        }
        router.get("/events") { _, _ in
            EventStream(events: image.events, heartbeat: eventHeartbeat).response()
        }
    }

    private func respond(_ body: () throws -> JSONValue) throws -> Response {
        do { return JSONResponse.ok(try body()) } catch { return JSONResponse.from(error) }
    }
}
