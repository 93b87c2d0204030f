import Foundation
import Inference
import JSON
import LivingImage
import Logging

/// The philosophical loop's ascension (seed 002 Part IV): BABS evaluates a candidate base model for
/// a persona on its golden hold-out — the candidate bound on a **clone** of the persona, never the
/// live one, both minds answering the same prompts and ALFRED's Oracle judging every answer blind
/// (``BlindValidation``, the strategic loop's mechanism). A candidate that beats the binding by
/// `[ascension] min_gain` is a characterological dissonance (`characterological_dissonance` on the
/// event bus) and starts the protocol: the clone inherits the persona's golden dataset and
/// history, the model is pulled (progress on the bus), a temporary adapter is trained for the clone
/// on a subset of the golden set when a trainer is available, the clone is validated blind, and an
/// ascension proposal with the evidence waits for the Architect (`a4ps proposals`) — or applies
/// itself when ALFRED's codex says `ascension_policy = "auto"`.
///
/// Anything wrong with a candidate — it does not exist, does not fit the VRAM budget (refused
/// before it is pulled), does not load, answers garbage — ends the ascension `failed` with the
/// reason; production is never touched and the clone and what was put on the server for it are
/// removed. Events: `philosophical.ascension.started|pulling|progress|loaded|evaluated|dissonance|
/// training|validated|proposed|applied|rejected|failed|expired|recurated`.
public struct AscensionWorker: Sendable {
    let image: Image
    let models: ModelManager
    let golden: GoldenDataset
    let finetune: FinetuneWorker
    let runner: GraphRunner
    public let store: AscensionStore
    let settings: AscensionSettings
    let strategic: StrategicSettings
    let proposalLifetime: TimeInterval
    let trainer: Trainer
    /// Where temporary adapters are trained (`IMAGE.ascension/ascension-N`).
    public let workDirectory: String
    let owner = LeaseOwner()
    let logger: Logger

    public init(image: Image, models: ModelManager, golden: GoldenDataset, finetune: FinetuneWorker, runner: GraphRunner,
                store: AscensionStore, config: A4PSConfig, trainer: Trainer, workDirectory: String,
                logger: Logger = Logger(label: "a4ps.ascension")) {
        self.image = image
        self.models = models
        self.golden = golden
        self.finetune = finetune
        self.runner = runner
        self.store = store
        settings = config.ascension
        strategic = config.strategic
        proposalLifetime = config.philosophical.proposalLifetimeDays * 86_400
        self.trainer = trainer
        self.workDirectory = workDirectory
        self.logger = logger
    }

    /// The candidates the persona's model server and config.toml offer (`a4ps ascend candidates`).
    public var catalog: AscensionCatalog { AscensionCatalog(models: models, settings: settings) }

    // MARK: Evaluating

    /// BABS evaluates `candidate` for `persona` and, when it wins, runs the ascension protocol up to
    /// the proposal (or, under `ascension_policy = "auto"`, the ascension). Answers the record as it
    /// ended: `rejected`, `failed` (with the reason), `proposed` or `applied`.
    ///
    /// Throws ``AscensionError`` only when it cannot start: not a persona, no golden example, the
    /// candidate is the binding already, the governor refuses the philosophical loop this persona,
    /// or another ascension of it is under way.
    @discardableResult
    public func evaluate(persona name: String, candidate: String, trigger: String = "architect") async throws -> AscensionRecord {
        let persona = name.uppercased()
        guard let proto = image.memory.proto(named: persona), proto.codex["system_prompt"]?.stringValue?.isEmpty == false else {
            throw AscensionError(.noSuchPersona, "\(persona) is not a persona with a system prompt in its codex (BRICK, ROBIN, BABS, ALFRED)")
        }
        let binding = PersonaPrimitives.binding(for: proto, models: models)
        let current = binding.model ?? models.model(for: binding.persona) ?? "?"
        let backend = models.backend(for: persona)
        let currentServed = (backend as? EmbeddedBackend)?.servedName(current) ?? current
        let candidateName = candidate.hasSuffix(".gguf") && backend is EmbeddedBackend ? LocalModelInstall.servedName(ofFile: candidate) : candidate
        guard candidateName != current, candidateName != currentServed else {
            throw AscensionError(.alreadyBound, "\(persona) already thinks with \(current): choose another candidate (`a4ps ascend candidates \(persona)`)")
        }
        var probe = proto.clone()
        probe.slots[GovernanceRules.modelSlot] = .string(candidateName)
        if let veto = image.governorVetoes(swapping: probe, author: .ascension).first {
            throw AscensionError(.vetoed, "the governor refuses: \(veto.description)")
        }
        let (requests, source) = try holdoutRequests(of: persona)
        var record = try store.begin(persona: persona, candidate: candidateName, current: current,
                                     baseSlot: proto.slots[GovernanceRules.modelSlot], baseVersion: proto.version, trigger: trigger, owner: owner)
        publish("philosophical.ascension.started", record, ["trigger": .string(trigger), "evaluator": "BABS"])
        do {
            record = try await run(record, asked: candidate, proto: proto, requests: requests, source: source)
        } catch {
            let reason = error is CancellationError ? "cancelled" : "\(error)"
            record = await end(record, .failed, reason: reason)
            if error is CancellationError { throw error }
        }
        return record
    }

    /// The evaluation and, when the candidate wins, the protocol (`asked`: the candidate as given, a
    /// name or a GGUF path); a candidate problem throws ``CandidateProblem`` (the ascension fails with it).
    private func run(_ started: AscensionRecord, asked: String, proto: Proto, requests: [[ChatMessage]], source: String) async throws -> AscensionRecord {
        let id = started.id
        let clock = ContinuousClock()
        let began = clock.now

        // 1. The candidate: where it is and what it needs, checked before anything is pulled.
        guard let candidate = try await catalog.resolve(asked, for: started.persona) else {
            throw CandidateProblem("there is no model \(asked): \(models.backend(for: started.persona).displayName) does not offer it "
                + "and it is not in [ascension] candidates of config.toml (see `a4ps ascend candidates \(started.persona)`)")
        }
        try store.update(id, .init(evidence: ["candidate": candidate.json]))
        try await checkFit(candidate, persona: started.persona)

        // 2. Onto the server: pulled, or served from its file — what this ascension put there it removes again.
        try await serve(candidate, for: started)

        // 3. BABS's evaluation: the candidate on a clone, against the binding, judged blind.
        try store.update(id, .init(phase: "evaluating"))
        var clone = proto.clone()
        clone.slots[GovernanceRules.modelSlot] = .string(candidate.name)
        let evaluation = try await compare(proto, clone, requests: requests, source: source, label: "ascension-\(id)", candidate: candidate.name)
        try store.update(id, .init(evaluation: evaluation.json, evidence: ["timings": timings(["evaluation_s": evaluation.duration], merging: id)]))
        let gain = evaluation.newMean - evaluation.oldMean
        var record = try store.require(id)
        publish("philosophical.ascension.evaluated", record, scores(evaluation))
        guard gain >= settings.minGain else {
            return await end(record, .rejected, reason: verdict(evaluation, source: source, candidate: candidate.name, current: started.current)
                + " — the current binding stays")
        }

        // 4. Characterological dissonance: a better self is possible. The protocol begins.
        let dissonance = scores(evaluation).merging(["evaluator": "BABS", "current": .string(started.current)]) { $1 }
        image.events.publish(.emitted(proto: started.persona, name: "characterological_dissonance",
                                      payload: .object(dissonance.merging(["ascension": .int(Int(id)), "candidate": .string(candidate.name)]) { $1 })))
        publish("philosophical.ascension.dissonance", record, dissonance)
        try store.update(id, .init(phase: "cloning", clone: .some(await cloneRecord(clone, of: started))))

        // 5. A temporary adapter for the clone on a subset of the golden set, when a trainer is available — then the validation.
        var decisive = evaluation
        var validatedBy = "the evaluation (no temporary adapter)"
        if let adapter = try await trainTemporaryAdapter(for: candidate, record: started) {
            var adapted = clone
            adapted.slots[GovernanceRules.modelSlot] = .string(adapter)
            try store.update(id, .init(phase: "validating"))
            let validation: BlindValidation
            do {
                validation = try await compare(proto, adapted, requests: requests, source: source, label: "ascension-\(id)-validation",
                                               candidate: adapter)
            } catch {
                await unregisterTemporaryAdapter(adapter, persona: started.persona, ascension: id)
                throw error
            }
            await unregisterTemporaryAdapter(adapter, persona: started.persona, ascension: id)
            try store.update(id, .init(validation: validation.json, evidence: ["timings": timings(["validation_s": validation.duration], merging: id)]))
            decisive = validation
            validatedBy = "the validation of the clone with its temporary adapter \(adapter)"
        } else {
            try store.update(id, .init(evidence: ["validated_by": .string("the evaluation: the clone without a temporary adapter is the evaluated mind")]))
        }
        record = try store.require(id)
        publish("philosophical.ascension.validated", record, scores(decisive).merging(["validated_by": .string(validatedBy)]) { $1 })
        guard decisive.newMean - decisive.oldMean >= settings.minGain else {
            return await end(record, .rejected, reason: "on the clone, " + verdict(decisive, source: source, candidate: candidate.name, current: started.current)
                + " (\(validatedBy)) — the current binding stays")
        }

        // 6. The proposal, with the evidence; applied at once when ALFRED's codex says so.
        try store.update(id, .init(phase: "proposing", evidence: ["timings": timings(["total_s": clock.now - began], merging: id)]))
        record = try store.propose(id, reason: verdict(decisive, source: source, candidate: candidate.name, current: started.current)
            + " (\(validatedBy))", lifetime: proposalLifetime)
        publish("philosophical.ascension.proposed", record, scores(decisive).merging(["proposal": .int(Int(record.proposal ?? 0))]) { $1 })
        image.events.publish(.emitted(proto: record.persona, name: "philosophical.proposal.created", payload: [
            "proposal": .int(Int(record.proposal ?? 0)), "kind": "ascension", "status": "pending", "ascension": .int(Int(id)),
        ]))
        if image.governanceRules.ascensionPolicy == .auto, let proposal = record.proposal {
            do {
                return try await apply(proposal: proposal, note: "applied at once: ascension_policy = \"auto\" in ALFRED's codex", byArchitect: false)
            } catch {
                // The proposal stands for the Architect; why it did not apply itself is in its evidence.
                logger.warning("ascension \(id) of \(record.persona) did not apply itself: \(error)")
                try store.update(id, .init(evidence: ["auto_apply_failed": .string("\(error)")]))
                return try store.require(id)
            }
        }
        return record
    }

    // MARK: Steps

    /// The persona's hold-out prompts (its training prompts when it has no hold-out example yet).
    func holdoutRequests(of persona: String) throws -> (requests: [[ChatMessage]], source: String) {
        let holdout = try golden.examples(of: persona, split: .holdout)
        let examples = holdout.isEmpty ? try golden.examples(of: persona, split: .train) : holdout
        let requests = BlindValidation.requests(from: examples, limit: settings.validationPrompts)
        guard !requests.isEmpty else {
            throw AscensionError(.noData, "\(persona) has no golden examples to evaluate a candidate on: they come from interactions the Oracle "
                + "scores at or above [strategic] golden_threshold (see `a4ps golden list`)")
        }
        return (requests, holdout.isEmpty ? "train" : "holdout")
    }

    /// The pre-pull check: the governor's model rules, on what the catalog knows of the candidate.
    func checkFit(_ candidate: AscensionCandidate, persona: String) async throws {
        if let refusal = await AscensionVRAMFit.refusal(candidate, for: persona, image: image, models: models) {
            throw CandidateProblem(refusal)
        }
    }

    /// Both minds answer, the candidate's answers are screened for garbage, ALFRED judges blind.
    func compare(_ proto: Proto, _ clone: Proto, requests: [[ChatMessage]], source: String, label: String,
                 candidate: String) async throws -> BlindValidation {
        do {
            return try await BlindValidation.run(persona: proto, clone: clone, requests: requests, promptSource: source, image: image,
                                                 models: models, maxTokens: settings.answerTokens, label: label) { answers in
                let bad = answers.compactMap { answer in Self.garbage(answer.text).map { "prompt \(answer.prompt + 1): \($0)" } }
                if bad.count * 2 > answers.count {
                    throw CandidateProblem("\(candidate) answers garbage (\(bad.joined(separator: "; "))) — it is not a usable mind for \(proto.name)")
                }
            }
        } catch let error as BlindValidation.MindFailed where error.mind == "new" {
            throw CandidateProblem("\(candidate) does not answer: \(error.underlying)")
        }
    }

    /// Why an answer is garbage: empty, or mostly characters no text is made of; nil when it is text.
    static func garbage(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return "an empty answer" }
        let scalars = trimmed.unicodeScalars
        let unreadable = scalars.filter { scalar in
            switch scalar.properties.generalCategory {
            case .control: return !["\n", "\t", "\r"].contains(scalar)
            case .unassigned, .privateUse, .surrogate: return true
            default: return scalar == "\u{FFFD}"
            }
        }.count
        return unreadable * 5 > scalars.count ? "\(unreadable) of \(scalars.count) characters unreadable" : nil
    }

    /// The clone as the record keeps it: its binding, and what it inherited from the persona.
    func cloneRecord(_ clone: Proto, of record: AscensionRecord) async throws -> JSONValue {
        let train = try golden.examples(of: record.persona, split: .train)
        let holdout = try golden.examples(of: record.persona, split: .holdout)
        let runs = ((try? await runner.runs(limit: 500)) ?? []).filter { $0.status == .done }.count
        return [
            "of": .string(record.persona), "version": .int(Int(clone.version)), "model": clone.slots[GovernanceRules.modelSlot] ?? .null,
            "codex_digest": .string(CodexDiff.digest(clone.codex)),
            "golden": ["train": .int(train.count), "holdout": .int(holdout.count),
                       "digest": .string(GoldenDataset.digest((train + holdout).map(\.chatML).joined(separator: "\n")))],
            "history": ["finished_runs": .int(runs)],
        ]
    }

    // MARK: Ending

    /// Ends a running ascension as `rejected` or `failed`: the clone and what was put on the server
    /// for it are removed, production untouched.
    func end(_ record: AscensionRecord, _ status: AscensionRecord.Status, reason: String) async -> AscensionRecord {
        await removeClone(of: record)
        try? store.finish(record.id, status: status, reason: reason)
        let ended = (try? store.require(record.id)) ?? record
        publish(status == .rejected ? "philosophical.ascension.rejected" : "philosophical.ascension.failed", ended,
                ["reason": .string(reason), "by": status == .rejected ? "oracle" : .null])
        return ended
    }

    /// "CANDIDATE scored 2.50 against 3.00 of CURRENT on 2 hold-out prompt(s), gain -0.50, min_gain 0.50".
    func verdict(_ comparison: BlindValidation, source: String, candidate: String, current: String) -> String {
        String(format: "%@ scored %.2f against %.2f of %@ on %d %@ prompt(s): gain %.2f, min_gain %.2f", candidate, comparison.newMean,
               comparison.oldMean, current, comparison.prompts, source, comparison.newMean - comparison.oldMean, settings.minGain)
    }

    func scores(_ comparison: BlindValidation) -> [String: JSONValue] {
        ["old_mean": .number(comparison.oldMean), "new_mean": .number(comparison.newMean), "gain": .number(comparison.newMean - comparison.oldMean),
         "min_gain": .number(settings.minGain), "prompts": .int(comparison.prompts)]
    }

    /// The record's timings with `added` (in seconds) merged in.
    func timings(_ added: [String: Duration], merging id: Int64) -> JSONValue {
        var known = (try? store.record(id))?.evidence["timings"]?.objectValue ?? [:]
        for (key, duration) in added { known[key] = .number(BlindValidation.seconds(duration)) }
        return .object(known)
    }

    func publish(_ name: String, _ record: AscensionRecord, _ extra: [String: JSONValue] = [:]) {
        var payload: [String: JSONValue] = ["ascension": .int(Int(record.id)), "persona": .string(record.persona),
                                            "candidate": .string(record.candidate), "status": .string(record.status.rawValue)]
        if let phase = record.phase { payload["phase"] = .string(phase) }
        payload.merge(extra) { $1 }
        image.events.publish(.emitted(proto: record.persona, name: name, payload: .object(payload)))
    }
}

/// Something wrong with the candidate itself: the ascension ends `failed` with this reason.
struct CandidateProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
