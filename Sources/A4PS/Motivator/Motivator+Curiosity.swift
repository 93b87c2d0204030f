import Foundation
import LivingImage
import Scrapbook

extension Motivator {
    /// The curiosity review ("hunger"): gathers what happened since the last review — the
    /// deliberations (did BABS find anything, how many memories the topic has, the Oracle's
    /// score), repeated failures, messages not understood — and lets ALFRED's `reviewCuriosity`
    /// name the gaps; each is emitted as `curiosity_deficit` (which the motivator turns into a
    /// research goal). Runs every `[motivator] curiosity_interval_seconds` in `a4ps serve`, and on
    /// demand (`a4ps goals review`). Answers the gaps.
    @discardableResult
    public func reviewCuriosity(now: Date = Date()) async throws -> [JSONValue] {
        guard settings.enabled else { throw MotivatorError(.disabled, "the motivator is off ([motivator] enabled = false in config.toml)") }
        guard image.memory.proto(named: "ALFRED")?.methods["reviewCuriosity"] != nil else {
            throw MotivatorError(.invalidGoal, "this image has no ALFRED>>reviewCuriosity (it predates the motivator); define it with "
                + "`a4ps method define ALFRED reviewCuriosity --file reviewCuriosity.lua` (the genesis one is in Sources/LivingImage/Resources/genesis)")
        }
        let since = try store.signals("curiosity.review", since: now.addingTimeInterval(-30 * 86_400), limit: 1).first?.at
            ?? now.addingTimeInterval(-7 * 86_400)
        var tasks: [JSONValue] = []
        for (run, state) in try await handlers.runner.finishedRuns(of: CodexAmendments.deliberation, since: since, limit: 50) {
            guard let task = state["task"]?.stringValue, state["goal"] == nil else { continue }
            // Memories on the topic other than what this very run remembered of itself.
            let hits = (try? await handlers.scrapbook.search(task, mode: .text, limit: 10)) ?? []
            let memories = hits.filter { $0.memory.runID != run.id }.count
            var fact: [String: JSONValue] = ["run": .string(run.id), "task": .string(task), "sources": state["sources"] ?? .int(0),
                                             "memories": .int(memories)]
            if let overall = try await handlers.runner.scores(run.id).last?.overall { fact["overall"] = .number(overall) }
            tasks.append(.object(fact))
        }
        func counted(_ name: String) throws -> [JSONValue] {
            var counts: [String: (Int, JSONValue)] = [:]
            for signal in try store.signals(name, since: since) {
                counts[signal.subject, default: (0, signal.payload)].0 += 1
            }
            return counts.sorted { $0.key < $1.key }.map { subject, value in
                ["subject": .string(subject), "count": .int(value.0), "error": value.1["reason"] ?? value.1["error"] ?? .null]
            }
        }
        let review = try await image.send("ALFRED", "reviewCuriosity", [
            "tasks": .array(tasks), "failures": .array(try counted("debug.unfixed")), "not_understood": .array(try counted("not_understood")),
        ])
        _ = try store.recordSignal("curiosity.review", subject: "review", payload: ["tasks": .int(tasks.count)], now: now)
        return review["gaps"]?.arrayValue ?? []
    }
}
