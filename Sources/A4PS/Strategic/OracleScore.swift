import Foundation
import LivingImage

/// One scoring of a finished interaction by ALFRED's Oracle: each criterion of his codex's rubric
/// (`{name: {score 1–5, reason}}`) and their weighted mean.
public struct OracleScore: Sendable, Hashable {
    public var run: String
    /// The weighted mean of the criteria, 1–5.
    public var overall: Double
    /// `{criterion: {score, reason}}`.
    public var scores: JSONValue
    /// The model ALFRED judged with.
    public var model: String?
    public var at: Date

    public init(run: String, overall: Double, scores: JSONValue, model: String?, at: Date = Date()) {
        self.run = run
        self.overall = overall
        self.scores = scores
        self.model = model
        self.at = at
    }

    /// As the API and `--json` show it.
    public var json: JSONValue {
        ["run": .string(run), "overall": .number(overall), "scores": scores, "model": model.map { .string($0) } ?? .null,
         "at": .string(ISO8601DateFormatter().string(from: at))]
    }
}
