import A4PS
import Foundation
import Hummingbird
import Inference
import LivingImage

/// The personas' models over HTTP:
///
/// - `GET /models` → each persona's model and server, what is loaded now (by server), and the
///   model layer's counters (calls, loads, tokens, the prompt cache's share)
/// - `GET /models/doctor` → `a4ps doctor`'s checks: each server reachable, each model there, the
///   VRAM budget, and what to do (`healthy` false when there is something to do)
struct ModelRoutes: Sendable {
    let runtime: Runtime

    func register(on router: Router<ImageRequestContext>) {
        router.get("/models") { _, _ in
            await JSONResponse.respond {
                let metrics = await runtime.models.metrics()
                var personas: [String: JSONValue] = [:]
                for role in ModelNames.personas + ["embedding"] {
                    guard let model = runtime.models.model(for: role) else { continue }
                    let loaded = metrics.resident.values.contains { $0.contains(model) }
                    let backend = runtime.models.backend(for: role)
                    personas[role] = ["model": .string(model), "backend": .string(backend.kind.rawValue), "url": .string(backend.baseURL),
                                      "loaded": .bool(loaded)]
                }
                return ["personas": .object(personas),
                        "resident": .object(metrics.resident.mapValues { .array($0.map { .string($0) }) }),
                        "resident_bytes": .integer(metrics.residentBytes),
                        "metrics": ["calls": .int(metrics.calls), "failed_calls": .int(metrics.failedCalls), "loads": .int(metrics.loads),
                                    "unloads": .int(metrics.unloads), "evictions": .int(metrics.evictions),
                                    "prompt_tokens": .int(metrics.promptTokens), "cached_prompt_tokens": .int(metrics.cachedPromptTokens),
                                    "completion_tokens": .int(metrics.completionTokens)]]
            }
        }
        router.get("/models/doctor") { _, _ in
            await JSONResponse.respond {
                let report = await runtime.doctor()
                return ["healthy": .bool(report.isHealthy), "actions": .array(report.actions.map { .string($0) }),
                        "config_source": .string(report.configSource),
                        "backends": .array(report.backends.map { b in
                            ["name": .string(b.name), "kind": .string(b.kind.rawValue), "url": .string(b.url),
                             "version": b.version.map { .string($0) } ?? .null, "problem": b.problem.map { .string($0) } ?? .null]
                        }),
                        "models": .array(report.models.map { m in
                            let status: String = switch m.status {
                            case .available: "available"
                            case .missing: "missing"
                            case .unknown: "unknown"
                            }
                            return ["role": .string(m.role), "model": .string(m.model), "backend": .string(m.backend), "status": .string(status)]
                        }),
                        "report": .string(report.rendered())]
            }
        }
    }
}
