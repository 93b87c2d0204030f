import A4PS
import Foundation
import Hummingbird
import LivingImage

/// The Architect's routes for the motivator's goals — the same as `a4ps goals`:
///
/// - `GET /goals?status=queued` → `{"goals": [...]}` (newest first) · `GET /goals/{id}`
/// - `POST /goals/{id}/cancel` → the goal, cancelled (a running one stops at its next step)
/// - `POST /goals/run-next` → `{"step": "idle" | "architect_busy" | "disabled" | "pursued", "goal": …}`
/// - `POST /goals/review` → `{"gaps": [...]}`: the curiosity review, now
///
/// Behind the server's token. An unknown goal is 404; one already finished, 409.
struct GoalRoutes: Sendable {
    let motivator: Motivator

    func register(on router: Router<ImageRequestContext>) {
        router.get("/goals") { request, _ in
            await JSONResponse.respond {
                let status = try request.uri.queryParameters.get("status").map { text in
                    guard let status = Goal.Status(rawValue: text) else {
                        throw MotivatorError(.invalidGoal, "status is one of \(Goal.Status.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return status
                }
                return ["goals": .array(try motivator.store.goals(status: status).map(\.json))]
            }
        }
        router.get("/goals/:id") { _, context in
            await JSONResponse.respond {
                let id = try goalID(context)
                guard let goal = try motivator.store.goal(id) else { throw MotivatorError(.noSuchGoal, "there is no goal \(id) (GET /goals lists them)") }
                return goal.json
            }
        }
        router.post("/goals/:id/cancel") { _, context in
            await JSONResponse.respond { try await motivator.cancel(try goalID(context)).json }
        }
        router.post("/goals/run-next") { _, _ in
            await JSONResponse.respond {
                switch await motivator.runNext() {
                case .idle: ["step": "idle"]
                case .disabled: ["step": "disabled"]
                case .architectBusy: ["step": "architect_busy"]
                case .pursued(let goal): ["step": "pursued", "goal": goal.json]
                }
            }
        }
        router.post("/goals/review") { _, _ in
            await JSONResponse.respond { ["gaps": .array(try await motivator.reviewCuriosity())] }
        }
    }

    private func goalID(_ context: ImageRequestContext) throws -> Int64 {
        let text = try context.parameters.require("id")
        guard let id = Int64(text) else { throw MotivatorError(.noSuchGoal, "a goal id is a number, not \(text)") }
        return id
    }
}
