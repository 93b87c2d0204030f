import Foundation
import Inference
import LivingImage
import Scrapbook

/// How each kind of goal is pursued, with the runtime's own parts — the deliberation runner, BABS,
/// the Tool Forge, the strategic loop, ALFRED's amendment drafting. A deliberation gives way to the
/// Architect between its nodes (`yieldWhen`) and, after a restart, resumes the run it started.
struct GoalHandlers: Sendable {
    let image: Image
    let runner: GraphRunner
    let scrapbook: Scrapbook
    let forge: @Sendable () -> ToolForge
    let finetune: FinetuneWorker
    let amendments: CodexAmendments
    let ascension: AscensionWorker
    let store: GoalStore
    let settings: MotivatorSettings

    /// What came of pursuing a goal.
    enum Result: Sendable {
        case done(JSONValue)
        /// It gave way to the Architect; it goes on later from where it stopped.
        case yielded
        case failed(String)
    }

    func pursue(_ goal: Goal, yieldWhen: @escaping @Sendable () async -> Bool) async throws -> Result {
        switch goal.kind {
        case .deliberation: return try await deliberate(goal, yieldWhen: yieldWhen)
        case .research: return try await research(goal)
        case .forge: return try await forge(goal)
        case .finetune: return try finetune(goal)
        case .amendment: return try await amend(goal)
        case .ascension: return try await ascend(goal)
        }
    }

    private func argument(_ goal: Goal, _ key: String) throws -> String {
        guard let value = goal.args[key]?.stringValue, !value.isEmpty else {
            throw MotivatorError(.invalidGoal, "a \(goal.kind.rawValue) goal needs args.\(key) (goal \(goal.id): \(goal.args.jsonText.prefix(200)))")
        }
        return value
    }

    private func deliberate(_ goal: Goal, yieldWhen: @escaping @Sendable () async -> Bool) async throws -> Result {
        let id: String
        if let started = goal.run {
            id = started
        } else {
            let task = try argument(goal, "task")
            let run = try await runner.create(graph: CodexAmendments.deliberation, state: [
                "task": .string(task), "max_turns": .int(goal.args["max_turns"]?.intValue ?? 2),
                "dissonance_threshold": .number(settings.dissonanceThreshold), "goal": .int(Int(goal.id)),
            ])
            try store.setRun(goal.id, run: run.id)
            id = run.id
        }
        let run = try await runner.resume(id, yieldWhen: yieldWhen)
        switch run.status {
        case .done:
            let state = try await runner.history(id).last?.state ?? .null
            return .done(["run": .string(id), "answer": state["answer"] ?? .null, "dissonance": state["dissonance"] ?? .null])
        case .running: return .yielded
        case .failed: return .failed("run \(id) failed: \(run.error ?? "")")
        case .paused: return .failed("run \(id) paused for a human (\(run.interrupt?.jsonText.prefix(200) ?? "")); resume it with `a4ps runs resume \(id) --input JSON`")
        }
    }

    /// BABS researches the topic in memory and writes a report, which is remembered.
    private func research(_ goal: Goal) async throws -> Result {
        let topic = try argument(goal, "topic")
        let found = try await image.send("BABS", "research", ["task": .string(topic)])
        let report = found["report"]?.stringValue ?? ""
        let memory = try await scrapbook.add(NewMemory(text: "Research on \(topic):\n\(report)", source: .babsReport, persona: "BABS",
                                                       origin: "goal \(goal.id)"))
        return .done(["report": .string(report), "sources": found["sources"] ?? .null, "memory": .integer(memory.id.rawValue)])
    }

    private func forge(_ goal: Goal) async throws -> Result {
        let (proto, selector) = (try argument(goal, "proto"), try argument(goal, "selector"))
        let description = goal.args["description"]?.stringValue ?? "answer the message `\(selector)` sent to \(proto)"
        let result = try await forge().forge(proto: proto, selector: selector, description: description, exampleArgs: goal.args["example"] ?? .null)
        guard let change = result.change else {
            return .failed("could not forge \(proto)>>\(selector) in \(result.attempts.count) attempt(s)")
        }
        return .done(["proto": .string(proto), "selector": .string(selector), "change": .integer(change.id)])
    }

    private func finetune(_ goal: Goal) throws -> Result {
        let job = try finetune.enqueue(persona: try argument(goal, "persona"), trigger: "motivator goal \(goal.id)")
        return .done(["job": .int(Int(job.id)), "persona": .string(job.persona)])
    }

    /// BABS evaluates the candidate on a clone of the persona; the record says how it went (a winner is proposed).
    private func ascend(_ goal: Goal) async throws -> Result {
        let record = try await ascension.evaluate(persona: try argument(goal, "persona"), candidate: try argument(goal, "model"),
                                                  trigger: "motivator goal \(goal.id)")
        var outcome: [String: JSONValue] = ["ascension": .int(Int(record.id)), "status": .string(record.status.rawValue)]
        if let proposal = record.proposal { outcome["proposal"] = .int(Int(proposal)) }
        return record.status == .failed ? .failed("ascension \(record.id) failed: \(record.note ?? "")") : .done(.object(outcome))
    }

    /// ALFRED drafts an amendment from the dissonant runs the goal cites; his run then waits for the Architect.
    private func amend(_ goal: Goal) async throws -> Result {
        let runs = goal.args["runs"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let run = try await amendments.draft(fromRuns: runs, trigger: goal.args["reason"]?.stringValue ?? "persistent dissonance")
        let proposal = try amendments.store.proposals(limit: 50).first { $0.run == run.id }
        if let proposal { return .done(["run": .string(run.id), "proposal": .int(Int(proposal.id))]) }
        let refused = try await runner.history(run.id).last?.state["proposal_refused"]?.stringValue
        return run.status == .failed ? .failed("ALFRED's drafting run \(run.id) failed: \(run.error ?? "")")
            : .done(["run": .string(run.id), "proposal_refused": refused.map { .string($0) } ?? .null])
    }
}
