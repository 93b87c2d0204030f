import A4PS
import Foundation
import Hummingbird
import LivingImage

/// The Architect's deliberations over HTTP — the same as `a4ps ask` and `a4ps runs`:
///
/// - `POST /invoke {"task"}` → `{"response", "run", "status", "dissonance"}` once ALFRED has answered (the seeds' endpoint)
/// - `POST /runs {"task", "max_turns"}` → 202 `{"run"}`: the four personas deliberate in the
///   background; `GET /events` streams it (`modelToken` by persona, `runStepped`, `runStopped`)
/// - `GET /runs?limit=` · `GET /runs/{id}` (with task, answer, dissonance, the Oracle's scores)
///   · `GET /runs/{id}/history` (the checkpoints) · `GET /runs/{id}/prompts` (what each persona was sent)
/// - `POST /runs/{id}/resume {"input"}` · `POST /runs/{id}/fork {"step", "state"}` (202, a new
///   run) · `POST /runs/{id}/cancel` (stops at the next checkpoint, resumable)
struct RunRoutes: Sendable {
    let runtime: Runtime
    let background: BackgroundRuns
    let body: RequestBody
    let sends: SendGate

    func register(on router: Router<ImageRequestContext>) {
        router.post("/invoke") { request, _ in
            guard let text = try await body.text(of: request) else { return JSONResponse.tooLarge(body.maxBytes) }
            let response = await sends.run {
                await JSONResponse.respond {
                    let state = try initialState(try RequestBody.object(text))
                    let run = try await runtime.serving("invoke") { try await runtime.runner.start(graph: CodexAmendments.deliberation, state: state) }
                    let final = try await runtime.runner.history(run.id).last?.state ?? .null
                    return ["response": final["answer"] ?? .null, "run": .string(run.id), "status": .string(run.status.rawValue),
                            "dissonance": final["dissonance"] ?? .null, "error": run.error.map { .string($0) } ?? .null]
                }
            }
            return response ?? JSONResponse.busy(sends.limit)
        }
        router.post("/runs") { request, _ in
            guard let text = try await body.text(of: request) else { return JSONResponse.tooLarge(body.maxBytes) }
            return await JSONResponse.respond(status: .accepted) {
                let state = try initialState(try RequestBody.object(text))
                let run = try await runtime.runner.create(graph: CodexAmendments.deliberation, state: state)
                try await background.drive(run.id)
                return ["run": run.json]
            }
        }
        router.get("/runs") { request, _ in
            await JSONResponse.respond {
                let limit = try limitParameter(request, default: 20)
                return ["runs": .array(try await runtime.runner.runs(limit: limit).map(\.json))]
            }
        }
        router.get("/runs/:id") { _, context in
            await JSONResponse.respond {
                let run = try await existingRun(context)
                let state = try await runtime.runner.history(run.id).last?.state ?? .null
                var json = run.json.objectValue ?? [:]
                json["task"] = state["task"] ?? .null
                json["answer"] = state["answer"] ?? .null
                json["dissonance"] = state["dissonance"] ?? .null
                json["scores"] = .array(try await runtime.runner.scores(run.id).map(\.json))
                json["driven_here"] = .bool(await background.isDriving(run.id))
                return .object(json)
            }
        }
        router.get("/runs/:id/history") { _, context in
            await JSONResponse.respond {
                let run = try await existingRun(context)
                return ["checkpoints": .array(try await runtime.runner.history(run.id).map(\.json))]
            }
        }
        router.get("/runs/:id/prompts") { _, context in
            await JSONResponse.respond {
                let run = try await existingRun(context)
                return ["prompts": .array(try runtime.prompts.prompts(of: run.id).map(\.json)),
                        "kept": .string("prompts are kept in the image for the latest \(runtime.prompts.capacity) runs")]
            }
        }
        router.post("/runs/:id/resume") { request, context in
            guard let text = try await body.text(of: request) else { return JSONResponse.tooLarge(body.maxBytes) }
            return await JSONResponse.respond(status: .accepted) {
                let fields = try RequestBody.object(text)
                let run = try await existingRun(context)
                switch run.status {
                case .done: throw APIError.conflict("run \(run.id) is done; fork it from a checkpoint to go another way", code: "finished")
                case .paused where fields["input"] == nil:
                    throw APIError.badRequest("run \(run.id) is waiting for a human: send {\"input\": …} (it asked: \(run.interrupt?.jsonText ?? "null"))",
                                              code: "inputNeeded")
                default: break
                }
                try await background.drive(run.id, input: run.status == .paused ? fields["input"] : nil)
                return ["run": run.json]
            }
        }
        router.post("/runs/:id/fork") { request, context in
            guard let text = try await body.text(of: request) else { return JSONResponse.tooLarge(body.maxBytes) }
            return await JSONResponse.respond(status: .accepted) {
                let fields = try RequestBody.object(text)
                let run = try await existingRun(context)
                guard let step = try fields.optionalInt("step", in: 0...Int(Int32.max)) else {
                    throw APIError.badRequest("the body needs \"step\": the checkpoint to fork from (GET /runs/\(run.id)/history)", code: "missingField")
                }
                let state = fields["state"]
                if let state, state.objectValue == nil {
                    throw APIError.badRequest("\"state\" must be an object (the checkpoint's state, edited)", code: "wrongType")
                }
                guard try await runtime.runner.history(run.id).contains(where: { $0.step == step }) else {
                    throw APIError.notFound("run \(run.id) has no checkpoint \(step) (GET /runs/\(run.id)/history)", code: "noSuchCheckpoint")
                }
                let fork = try await runtime.runner.createFork(run.id, fromStep: step, state: state)
                try await background.drive(fork.id)
                return ["run": fork.json]
            }
        }
        router.post("/runs/:id/cancel") { _, context in
            await JSONResponse.respond {
                let run = try await existingRun(context)
                guard await background.cancel(run.id) else {
                    throw APIError.conflict("run \(run.id) is not running on this server (it is \(run.status.rawValue))", code: "notRunning")
                }
                return ["run": run.json, "cancelling": true]
            }
        }
    }

    /// The state a deliberation starts from: the task, the turns, ALFRED's dissonance threshold,
    /// and the mark of a run started over the API.
    private func initialState(_ fields: [String: JSONValue]) throws -> JSONValue {
        let task = try fields.requiredString("task")
        let turns = try fields.optionalInt("max_turns", in: 1...50) ?? 5
        return runtime.deliberationState(task: task, maxTurns: turns, extra: [BackgroundRuns.originKey: BackgroundRuns.origin])
    }

    private func existingRun(_ context: ImageRequestContext) async throws -> RunRecord {
        let id = try context.parameters.require("id")
        guard let run = try await runtime.runner.run(id) else { throw APIError.notFound("there is no run \(id) (GET /runs lists them)", code: "noSuchRun") }
        return run
    }
}

/// `?limit=N` (1…1000), or `default`.
func limitParameter(_ request: Request, default value: Int) throws -> Int {
    guard let text = request.uri.queryParameters.get("limit") else { return value }
    guard let limit = Int(text), (1...1000).contains(limit) else {
        throw APIError.badRequest("limit must be a whole number from 1 to 1000, not \(text)", code: "invalidLimit")
    }
    return limit
}
