import Foundation
import Inference
import LivingImage

/// ALFRED's Oracle (LLM-as-a-judge, seed 002 Part III): scores a finished deliberation on the
/// rubric of his codex by sending him `score` — a Lua method of the image, editable and
/// forgeable — and keeps each scoring with the run (`a4ps runs show`, event `oracle.scored`).
/// An interaction scored at or above the golden threshold feeds the personas' ``GoldenDataset``.
public struct Oracle: Sendable {
    let image: Image
    let runner: GraphRunner
    let models: ModelManager
    /// Where golden interactions go, and from which overall score an interaction is golden.
    let golden: GoldenDataset?
    let goldenThreshold: Double

    public init(image: Image, runner: GraphRunner, models: ModelManager, golden: GoldenDataset? = nil, goldenThreshold: Double = 4.5) {
        self.image = image
        self.runner = runner
        self.models = models
        self.golden = golden
        self.goldenThreshold = goldenThreshold
    }

    /// Scores a finished run (again, when it was scored before) and records the scoring.
    @discardableResult
    public func score(run id: String) async throws -> OracleScore {
        guard let run = try await runner.run(id) else { throw GraphError(description: "there is no run \(id) (see `a4ps runs list`)") }
        guard run.status == .done else {
            throw GraphError(description: "run \(id) is \(run.status.rawValue): the Oracle scores finished runs (resume it first)")
        }
        let state = try await runner.history(id).last?.state ?? .null
        guard let task = state["task"]?.stringValue, let answer = state["answer"]?.stringValue else {
            throw GraphError(description: "run \(id) has no task and answer to score (the Oracle scores deliberations)")
        }
        let verdict = try await image.send("ALFRED", "score", [
            "task": .string(task), "answer": .string(answer), "dialogue": state["dialogue"] ?? .array([]),
            "dissonance": state["dissonance"] ?? .null,
            // His synthesis exchange: scored as its continuation, the prompt cache serves it again.
            "history": state["alfred_history"] ?? .array([]),
        ], author: .system)
        guard let overall = verdict["overall"]?.doubleValue, (1...5).contains(overall), let scores = verdict["scores"], scores.objectValue != nil else {
            throw GraphError(description: "ALFRED>>score answered \(verdict.jsonText.prefix(200)), not {scores, overall 1–5}: fix the method (`a4ps method show ALFRED score`)")
        }
        let score = OracleScore(run: id, overall: overall, scores: scores, model: models.model(for: "alfred"))
        try await runner.record(score)
        image.events.publish(.emitted(proto: "ALFRED", name: "oracle.scored",
                                      payload: ["run": .string(id), "overall": .number(overall), "scores": scores,
                                                "task": state["task"] ?? .null]))
        if let golden, overall >= goldenThreshold {
            let harvest = try golden.harvest(run: id, state: state, overall: overall)
            image.events.publish(.emitted(proto: "ALFRED", name: "golden.added", payload: [
                "run": .string(id), "added": .object(harvest.added.mapValues { .int($0) }), "duplicates": .int(harvest.duplicates),
                "skipped": .array(harvest.skipped.map { .string($0) }),
            ]))
        }
        return score
    }
}
