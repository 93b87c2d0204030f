import A4PS
import Foundation
import Hummingbird
import LivingImage

/// Growing and repairing methods over HTTP — the same as `a4ps forge` and `a4ps debug`:
///
/// - `POST /forge {"proto", "selector", "description", "example", "python"}` → what the forge did
///   (`change` null when no attempt passed: the image is then unchanged)
/// - `GET /debug` → `{"sessions"}` · `GET /debug/{id}` (message, arguments, error, traceback, source)
/// - `POST /debug/{id}/fix` (the DEBUGGER persona's fix, verified on a clone) · `POST /debug/{id}/retry`
///   (the failing message again) · `POST /debug/{id}/close {"source"}` (optionally with your own fix)
struct RepairRoutes: Sendable {
    let runtime: Runtime
    let body: RequestBody
    let sends: SendGate

    func register(on router: Router<ImageRequestContext>) {
        router.post("/forge") { request, _ in
            guard let text = try await body.text(of: request) else { return JSONResponse.tooLarge(body.maxBytes) }
            let response = await sends.run {
                await JSONResponse.respond {
                    let fields = try RequestBody.object(text)
                    let (proto, selector) = (try fields.requiredString("proto"), try fields.requiredString("selector"))
                    let description = try fields.requiredString("description")
                    let language: ForgeLanguage = try fields.optionalBool("python") == true ? .python : .lua
                    guard runtime.image.memory.proto(named: proto) != nil else { throw ImageError.noSuchProto(proto) }
                    let result = try await runtime.serving("forge \(proto) \(selector)") {
                        try await runtime.forge.forge(proto: proto, selector: selector, description: description,
                                                      exampleArgs: fields["example"] ?? .null, language: language)
                    }
                    return result.json
                }
            }
            return response ?? JSONResponse.busy(sends.limit)
        }
        router.get("/debug") { request, _ in
            await JSONResponse.respond {
                ["sessions": .array(try runtime.debugger.sessions(limit: try limitParameter(request, default: 50)).map(\.json))]
            }
        }
        router.get("/debug/:id") { _, context in
            await JSONResponse.respond { try runtime.debugger.session(try sessionID(context)).json }
        }
        router.post("/debug/:id/fix") { _, context in
            let response = await sends.run {
                await JSONResponse.respond {
                    let id = try sessionID(context)
                    let result = try await runtime.serving("debug fix \(id)") { try await runtime.debugger.fix(id) }
                    return result.json
                }
            }
            return response ?? JSONResponse.busy(sends.limit)
        }
        router.post("/debug/:id/retry") { _, context in
            let response = await sends.run {
                await JSONResponse.respond {
                    let id = try sessionID(context)
                    return ["answer": try await runtime.serving("debug retry \(id)") { try await runtime.debugger.retry(id) }]
                }
            }
            return response ?? JSONResponse.busy(sends.limit)
        }
        router.post("/debug/:id/close") { request, context in
            guard let text = try await body.text(of: request) else { return JSONResponse.tooLarge(body.maxBytes) }
            return await JSONResponse.respond {
                let fields = try RequestBody.object(text)
                let change = try await runtime.debugger.close(try sessionID(context), source: try fields.optionalString("source"))
                return ["change": change?.json ?? .null]
            }
        }
    }

    private func sessionID(_ context: ImageRequestContext) throws -> Int64 {
        let text = try context.parameters.require("id")
        guard let id = Int64(text) else { throw APIError.notFound("a debug session's id is a number, not \(text) (GET /debug lists them)") }
        return id
    }
}
