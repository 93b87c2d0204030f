import Foundation
import Inference
import JSON
import LivingImage

/// The blind comparison of two minds of one persona (seed 004 §3.1), shared by the strategic loop
/// (a fine-tuned adapter against the old binding) and the philosophical loop (a candidate base
/// model, bound on a clone, against the current binding): the same prompts — the persona's
/// hold-out examples — answered by the old binding and by the clone, each answer judged by
/// ALFRED's Oracle (`ALFRED>>judge`, Lua in the image) one at a time, blind and in shuffled order.
/// The decision follows the means.
public struct BlindValidation: Sendable, Hashable {
    /// One judged answer.
    public struct Judgement: Sendable, Hashable {
        /// The prompt's index among the validation prompts.
        public var prompt: Int
        /// `old` or `new`.
        public var mind: String
        public var model: String
        public var score: Int
        public var reason: String
        public var answer: String

        var json: JSONValue {
            ["prompt": .int(prompt), "mind": .string(mind), "model": .string(model), "score": .int(score),
             "reason": .string(reason), "answer": .string(String(answer.prefix(BlindValidation.keptAnswerCharacters)))]
        }
    }

    /// One answer before it is judged.
    public struct Answer: Sendable, Hashable {
        public var prompt: Int
        public var mind: String
        public var model: String
        public var text: String
        /// How long the mind took to answer.
        public var duration: Duration
        /// The tokens it was given and gave (when the server said).
        public var promptTokens = 0
        public var completionTokens = 0
    }

    /// One of the two minds could not answer (`mind`: `old` or `new`).
    public struct MindFailed: Error, CustomStringConvertible {
        public var mind: String
        public var model: String
        public var underlying: any Error
        public var description: String { "\(model) (the \(mind) mind) did not answer: \(underlying)" }
    }

    /// How much of each answer the record keeps.
    static let keptAnswerCharacters = 1200

    /// `holdout`, or `train` when the persona has no hold-out example yet (then said so in the provenance).
    public var promptSource: String
    public var prompts: Int
    public var old: [Judgement]
    public var new: [Judgement]
    /// The order the Oracle saw the answers in (`P:mind`).
    public var order: [String]
    public var duration: Duration
    /// The prompts as the Oracle read them.
    public var requests: [String] = []
    /// Seconds each mind spent answering, in all.
    public var answerSeconds: [String: Double] = [:]
    /// Tokens each mind was given and gave, in all (`old`/`new` → `prompt`, `completion`).
    public var answerTokens: [String: [String: Int]] = [:]

    public var oldMean: Double { Self.mean(old) }
    public var newMean: Double { Self.mean(new) }

    static func mean(_ judgements: [Judgement]) -> Double {
        judgements.isEmpty ? 0 : Double(judgements.map(\.score).reduce(0, +)) / Double(judgements.count)
    }

    /// The record kept with the job (and an ascension) and in the swap's change-log entry.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "prompt_source": .string(promptSource), "prompts": .int(prompts), "old_mean": .number(oldMean), "new_mean": .number(newMean),
            "old": .array(old.map(\.json)), "new": .array(new.map(\.json)), "order": .array(order.map { .string($0) }),
            "seconds": .number(Self.seconds(duration)),
        ]
        if !requests.isEmpty { object["requests"] = .array(requests.map { .string(String($0.prefix(Self.keptAnswerCharacters))) }) }
        if !answerSeconds.isEmpty { object["answer_seconds"] = .object(answerSeconds.mapValues { .number($0) }) }
        if !answerTokens.isEmpty { object["answer_tokens"] = .object(answerTokens.mapValues { .object($0.mapValues { .int($0) }) }) }
        return .object(object)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The prompts a validation asks: each example without its last answer (the system prompt is
    /// the persona's own, sent by its binding).
    static func requests(from examples: [GoldenExample], limit: Int) -> [[ChatMessage]] {
        examples.suffix(limit).compactMap { example in
            guard let messages = example.messages.arrayValue, messages.count >= 3 else { return nil }
            let turns = messages.dropFirst().dropLast().compactMap { message -> ChatMessage? in
                guard let content = message["content"]?.stringValue else { return nil }
                return message["role"]?.stringValue == "assistant" ? .assistant(content) : .user(content)
            }
            return turns.isEmpty ? nil : turns
        }
    }

    /// A request as the Oracle reads it.
    static func rendered(_ request: [ChatMessage], persona: String) -> String {
        request.map { ($0.role == .assistant ? persona + ": " : (request.count > 1 ? "User: " : "")) + $0.content }
            .joined(separator: "\n")
    }

    /// Runs a validation of the persona bound to `newModel` (on a clone) against its binding now.
    static func run(persona: Proto, newModel: String, requests: [[ChatMessage]], promptSource: String,
                    image: Image, models: ModelManager) async throws -> BlindValidation {
        var clone = persona.clone()
        clone.slots[GovernanceRules.modelSlot] = .string(newModel)
        return try await run(persona: persona, clone: clone, requests: requests, promptSource: promptSource, image: image, models: models)
    }

    /// Runs a validation: the persona's binding (`old`) and the clone's (`new`) answer every
    /// request, `screen` sees the clone's answers before any is judged (it throws to stop there),
    /// then ALFRED judges every answer in a shuffled order. Throws when an answer or a judgement
    /// cannot be had.
    static func run(persona: Proto, clone: Proto, requests: [[ChatMessage]], promptSource: String, image: Image, models: ModelManager,
                    maxTokens: Int = 200, label: String? = nil,
                    screen: @Sendable ([Answer]) throws -> Void = { _ in }) async throws -> BlindValidation {
        let started = ContinuousClock.now
        let oldBinding = PersonaPrimitives.binding(for: persona, models: models)
        let newBinding = PersonaPrimitives.binding(for: clone, models: models)
        let oldModel = oldBinding.model ?? models.model(for: oldBinding.persona) ?? "?"
        let newModel = newBinding.model ?? models.model(for: newBinding.persona) ?? "?"
        let options = ThinkOptions(generation: GenerationOptions(temperature: 0.2, maxTokens: maxTokens, seed: 7, repeatPenalty: 1.1))

        var answers: [Answer] = []
        for (index, request) in requests.enumerated() {
            for (mind, binding, model) in [("old", oldBinding, oldModel), ("new", newBinding, newModel)] {
                try Task.checkCancellation()
                let asked = ContinuousClock.now
                let result: ThinkResult
                do {
                    result = try await models.chat(binding, messages: request, options: options, runID: label ?? "validation-\(newModel)")
                } catch let error as CancellationError {
                    throw error
                } catch {
                    throw MindFailed(mind: mind, model: model, underlying: error)
                }
                answers.append(Answer(prompt: index, mind: mind, model: model, text: result.text, duration: ContinuousClock.now - asked,
                                      promptTokens: result.usage?.promptTokens ?? 0, completionTokens: result.usage?.completionTokens ?? 0))
            }
        }
        try screen(answers.filter { $0.mind == "new" })
        var timing: [String: Double] = [:]
        var tokens: [String: [String: Int]] = [:]
        for answer in answers {
            timing[answer.mind, default: 0] += seconds(answer.duration)
            tokens[answer.mind, default: [:]]["prompt", default: 0] += answer.promptTokens
            tokens[answer.mind, default: [:]]["completion", default: 0] += answer.completionTokens
        }
        answers.shuffle()
        var old: [Judgement] = []
        var new: [Judgement] = []
        let role = persona.codex["role"]?.stringValue
        for answer in answers {
            try Task.checkCancellation()
            let verdict: JSONValue
            do {
                verdict = try await image.send(GovernanceRules.keeper, "judge", [
                    "persona": .string(persona.name), "role": role.map { .string($0) } ?? .null,
                    "request": .string(rendered(requests[answer.prompt], persona: persona.name)), "answer": .string(answer.text),
                ], author: .system)
            } catch {
                throw FinetuneError(.validationFailed, "ALFRED>>judge failed: \(error) — fix the method (`a4ps method show ALFRED judge`)")
            }
            guard let score = verdict["score"]?.intValue, (1...5).contains(score) else {
                throw FinetuneError(.validationFailed, "ALFRED>>judge answered \(verdict.jsonText.prefix(200)), not {score 1–5, reason}: "
                    + "fix the method (`a4ps method show ALFRED judge`)")
            }
            let judgement = Judgement(prompt: answer.prompt, mind: answer.mind, model: answer.model, score: score,
                                      reason: verdict["reason"]?.stringValue ?? "", answer: answer.text)
            if answer.mind == "old" { old.append(judgement) } else { new.append(judgement) }
        }
        old.sort { $0.prompt < $1.prompt }
        new.sort { $0.prompt < $1.prompt }
        return BlindValidation(promptSource: promptSource, prompts: requests.count, old: old, new: new,
                               order: answers.map { "\($0.prompt):\($0.mind)" }, duration: ContinuousClock.now - started,
                               requests: requests.map { rendered($0, persona: persona.name) }, answerSeconds: timing, answerTokens: tokens)
    }
}
