import Foundation
import LivingImage
import Logging

/// The philosophical loop's codex amendments, end to end (seed 003 §5.3): persistent dissonance
/// (or the Architect asking) starts a run of ALFRED's amendment graph (`ALFRED.amendment`), whose
/// nodes draft an amendment with his model, record it as a pending ``CodexProposal`` and pause the
/// run (`interrupt`) until the Architect decides; every decision — approval, rejection, expiry —
/// resumes that run, which reads the outcome from the proposal and remembers it.
///
/// The trigger's rule lives in ALFRED's codex (`amendment`) and his Lua method
/// `considerAmendment`; this type only gathers the facts it judges: the dissonant deliberations
/// since the last forge or fine-tune of the dissonant personas, not yet cited by a proposal.
public struct CodexAmendments: Sendable {
    /// The graph slot that drafts, proposes and waits.
    public static let graph = "ALFRED.amendment"
    /// The deliberation graph whose dissonance the trigger watches.
    public static let deliberation = "ALFRED.deliberation"
    /// The personas whose disagreement the deliberation measures.
    static let dissonant = ["BRICK", "ROBIN"]
    /// Authors whose changes to a dissonant persona count as an attempt to resolve the dissonance.
    static let resolvers: Set<ChangeAuthor> = [.forge, .debugger, .strategic, .ascension]

    let image: Image
    let runner: GraphRunner
    public let store: CodexProposalStore
    let logger: Logger

    init(image: Image, runner: GraphRunner, store: CodexProposalStore, logger: Logger) {
        self.image = image
        self.runner = runner
        self.store = store
        self.logger = logger
    }

    // MARK: Drafting

    /// After a finished deliberation: when it ended in dissonance, asks ALFRED (`considerAmendment`)
    /// whether the unresolved dissonance has persisted long enough; if so, publishes
    /// `philosophical.dissonance.persistent` with the runs it cites — the motivator turns that into
    /// an `amendment` goal, pursued when the Architect is not waiting (``draft(fromRuns:trigger:)``).
    /// Answers the cited runs, or nil.
    @discardableResult
    public func consider(after run: RunRecord, now: Date = Date()) async throws -> [String]? {
        // An image from before codex amendment drafting has no rule to consider.
        guard run.graph == Self.deliberation, image.memory.proto(named: "ALFRED")?.methods["considerAmendment"] != nil else { return nil }
        try await expire(now: now)
        let history = try await unresolvedDissonance(now: now)
        guard history.contains(where: { $0.run == run.id }) else { return nil }
        let task = history.first { $0.run == run.id }?.task ?? ""
        let verdict = try await image.send("ALFRED", "considerAmendment", [
            "run": .string(run.id), "task": .string(task),
            "history": .array(history.map { ["run": .string($0.run), "task": .string($0.task),
                                              "dissonance": .number($0.dissonance), "age_hours": .number($0.ageHours)] }),
        ])
        guard verdict["draft"]?.boolValue == true else {
            logger.debug("no codex amendment after \(run.id): \(verdict["reason"]?.stringValue ?? "")")
            return nil
        }
        let cited = verdict["runs"]?.arrayValue?.compactMap(\.stringValue) ?? []
        image.events.publish(.emitted(proto: "ALFRED", name: "philosophical.dissonance.persistent", payload: [
            "runs": .array(cited.map { .string($0) }), "reason": verdict["reason"] ?? .null, "task": .string(task),
        ]))
        return cited
    }

    /// ALFRED drafts an amendment from the dissonant deliberations `runs` (a motivator goal's
    /// evidence). Answers his drafting run: paused for the Architect, or done/failed without a proposal.
    public func draft(fromRuns runs: [String], trigger: String, now: Date = Date()) async throws -> RunRecord {
        let wanted = Set(runs)
        let evidence = try await dissonantRuns(since: now.addingTimeInterval(-365 * 86_400), now: now).filter { wanted.contains($0.run) }
        guard !evidence.isEmpty else {
            throw CodexProposalError(.invalidDiff, "none of the runs \(runs.joined(separator: ", ")) is a dissonant deliberation of this image")
        }
        return try await startDraft(persona: nil, concern: nil, trigger: trigger, evidence: evidence)
    }

    /// The Architect asks ALFRED to draft an amendment of `persona`'s codex (`a4ps codex propose
    /// PERSONA` without a diff), from the recent dissonant deliberations and the Architect's `concern`.
    /// Answers the drafting run: paused for the decision, or done when no proposal could be made.
    public func draft(persona: String, concern: String?, now: Date = Date()) async throws -> RunRecord {
        let name = persona.uppercased()
        guard let proto = image.memory.proto(named: name), proto.codex.objectValue != nil else {
            throw CodexProposalError(.noSuchPersona, "\(name) is not a persona with a codex (see `a4ps inspect`); "
                + "a codex amendment names one of BRICK, ROBIN, BABS, ALFRED")
        }
        let recent = try await dissonantRuns(since: now.addingTimeInterval(-30 * 86_400), now: now).suffix(5)
        return try await startDraft(persona: name, concern: concern, trigger: "asked by the Architect", evidence: Array(recent))
    }

    private func startDraft(persona: String?, concern: String?, trigger: String, evidence: [DissonantRun]) async throws -> RunRecord {
        let graph = try? image.slot("amendment", of: "ALFRED")
        guard graph != nil, graph != JSONValue.null else {
            throw CodexProposalError(.noSuchPersona, "this image has no ALFRED.amendment graph (it predates codex amendment drafting): "
                + "propose the amendment yourself with `a4ps codex propose PERSONA --set KEY=JSON`")
        }
        var state: [String: JSONValue] = ["trigger": .string(trigger), "evidence": .array(evidence.map(\.json))]
        if let persona { state["persona"] = .string(persona) }
        if let concern, !concern.isEmpty { state["concern"] = .string(concern) }
        let run = try await runner.start(graph: Self.graph, state: .object(state))
        logger.debug("ALFRED's amendment run \(run.id): \(run.status.rawValue)")
        return run
    }

    // MARK: Deciding

    /// What a decision did: the proposal as decided, and the drafting run it resumed (nil when the
    /// Architect proposed it, or when the run could not go on — then `resumeError` says why and
    /// `a4ps runs resume` can continue it later; the decision stands either way).
    public struct Decision: Sendable {
        public var proposal: CodexProposal
        public var run: RunRecord?
        public var resumeError: String?
    }

    /// The Architect approves proposal `id` (the codex changes by compare-and-swap), then its
    /// drafting run goes on.
    public func approve(_ id: Int64, note: String? = nil) async throws -> Decision {
        await resume(after: try await store.approve(id, note: note))
    }

    /// The Architect rejects proposal `id` (the codex is unchanged), then its drafting run goes on.
    public func reject(_ id: Int64, note: String? = nil) async throws -> Decision {
        await resume(after: try store.reject(id, note: note))
    }

    /// Expires the overdue proposals and lets their drafting runs conclude.
    @discardableResult
    public func expire(now: Date = Date()) async throws -> [Decision] {
        var decisions: [Decision] = []
        for proposal in try store.expire(now: now) { decisions.append(await resume(after: proposal)) }
        return decisions
    }

    /// Resumes the run that drafted `proposal` (when it waits for this decision) with the decision.
    public func resume(after proposal: CodexProposal) async -> Decision {
        guard let id = proposal.run else { return Decision(proposal: proposal) }
        do {
            guard let run = try await runner.run(id) else { return Decision(proposal: proposal) }
            var input: [String: JSONValue] = ["decision": .string(proposal.status.rawValue)]
            if let note = proposal.note { input["note"] = .string(note) }
            switch run.status {
            case .paused: return Decision(proposal: proposal, run: try await runner.resume(id, input: .object(input)))
            // It failed concluding (resumed before the decision existed): now it can.
            case .failed: return Decision(proposal: proposal, run: try await runner.resume(id))
            case .running, .done: return Decision(proposal: proposal)
            }
        } catch {
            logger.warning("run \(id) could not conclude proposal \(proposal.id): \(error)")
            return Decision(proposal: proposal, resumeError: "\(error)")
        }
    }

    // MARK: The facts the trigger judges

    /// A deliberation that ended at or above its dissonance threshold.
    struct DissonantRun: Sendable {
        var run: String
        var task: String
        var brick: String
        var robin: String
        var dissonance: Double
        var oracle: Double?
        var finishedAt: Date
        var ageHours: Double

        var json: JSONValue {
            var object: [String: JSONValue] = ["run": .string(run), "task": .string(task), "brick": .string(brick), "robin": .string(robin),
                                               "dissonance": .number(dissonance)]
            if let oracle { object["oracle"] = .number(oracle) }
            return .object(object)
        }
    }

    /// Dissonant deliberations since the last forge, fix or model rebinding of BRICK or ROBIN, that
    /// no earlier proposal cites (a rejected amendment comes back only with new evidence), oldest first.
    func unresolvedDissonance(now: Date) async throws -> [DissonantRun] {
        var since = now.addingTimeInterval(-365 * 86_400)
        for persona in Self.dissonant {
            for change in try image.history(proto: persona, limit: 200) where Self.resolvers.contains(change.author) {
                since = max(since, change.at)
            }
        }
        var cited: Set<String> = []
        for proposal in try store.proposals(limit: 1000) {
            for item in proposal.evidence["runs"]?.arrayValue ?? [] {
                if let run = item["run"]?.stringValue ?? item.stringValue { cited.insert(run) }
            }
        }
        return try await dissonantRuns(since: since, now: now).filter { !cited.contains($0.run) }
    }

    /// Finished deliberations since `since` whose dissonance reached their threshold, oldest first.
    func dissonantRuns(since: Date, now: Date) async throws -> [DissonantRun] {
        var runs: [DissonantRun] = []
        for (run, state) in try await runner.finishedRuns(of: Self.deliberation, since: since) {
            guard let dissonance = state["dissonance"]?.doubleValue,
                  dissonance >= state["dissonance_threshold"]?.doubleValue ?? 0.8 else { continue }
            var positions: [String: String] = [:]
            for turn in state["dialogue"]?.arrayValue ?? [] {
                if let persona = turn["persona"]?.stringValue, let text = turn["text"]?.stringValue { positions[persona] = String(text.prefix(1200)) }
            }
            let oracle = try await runner.scores(run.id).last?.overall
            runs.append(DissonantRun(run: run.id, task: state["task"]?.stringValue ?? "", brick: positions["BRICK"] ?? "",
                                robin: positions["ROBIN"] ?? "", dissonance: dissonance, oracle: oracle, finishedAt: run.updatedAt,
                                ageHours: max(0, now.timeIntervalSince(run.updatedAt) / 3600)))
        }
        return runs
    }
}
