import A4PS
import Hummingbird
import LivingImage

/// What the strategic loop learns from, over HTTP (the inspector's golden dataset and Oracle
/// sections):
///
/// - `GET /protos/{proto}/golden` → the persona's golden examples and their counts by split
/// - `DELETE /golden/{id}` → removes one example
/// - `GET /oracle/scores?limit=N` → the Oracle's latest scorings of runs, newest first, each with its task
struct StrategicRoutes: Sendable {
    let runtime: Runtime

    func register(on router: Router<ImageRequestContext>) {
        router.get("/protos/:proto/golden") { _, context in
            await JSONResponse.respond {
                let persona = try context.parameters.require("proto")
                guard runtime.image.memory.proto(named: persona) != nil else { throw ImageError.noSuchProto(persona) }
                let examples = try runtime.golden.examples(of: persona)
                var counts: [String: JSONValue] = ["train": .int(0), "holdout": .int(0)]
                for example in examples { counts[example.split.rawValue] = .int((counts[example.split.rawValue]?.intValue ?? 0) + 1) }
                return ["persona": .string(persona), "counts": .object(counts), "examples": .array(examples.map(\.json))]
            }
        }
        router.delete("/golden/:id") { _, context in
            await JSONResponse.respond {
                let text = try context.parameters.require("id")
                guard let id = Int64(text) else {
                    throw APIError.badRequest("a golden example's id is a whole number, not \(text)", code: "invalidId")
                }
                guard try runtime.golden.remove(id) else {
                    throw APIError.notFound("there is no golden example \(id) (GET /protos/{persona}/golden lists them)", code: "noSuchExample")
                }
                return ["removed": .integer(id)]
            }
        }
        router.get("/oracle/scores") { request, _ in
            await JSONResponse.respond {
                let limit = try limitParameter(request, default: 20)
                let recent = try await runtime.runner.recentScores(limit: limit)
                return ["scores": .array(recent.map { entry in
                    var json = entry.score.json.objectValue ?? [:]
                    json["task"] = entry.task.map { .string($0) } ?? .null
                    return .object(json)
                })]
            }
        }
    }
}
