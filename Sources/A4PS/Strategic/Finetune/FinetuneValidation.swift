import Foundation
import Inference
import JSON
import LivingImage

/// The validation of a fine-tuned mind against the old one (seed 004 §3.1): the same prompts —
/// the persona's hold-out examples — answered with the old binding and with a clone bound to the
/// adapter, each answer judged by ALFRED's Oracle (`ALFRED>>judge`, Lua in the image) one at a
/// time, blind and in shuffled order. The swap follows the means.
public struct FinetuneValidation: Sendable, Hashable {
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
             "reason": .string(reason), "answer": .string(String(answer.prefix(400)))]
        }
    }

    /// `holdout`, or `train` when the persona has no hold-out example yet (then said so in the provenance).
    public var promptSource: String
    public var prompts: Int
    public var old: [Judgement]
    public var new: [Judgement]
    /// The order the Oracle saw the answers in (`P:mind`).
    public var order: [String]
    public var duration: Duration

    public var oldMean: Double { Self.mean(old) }
    public var newMean: Double { Self.mean(new) }

    static func mean(_ judgements: [Judgement]) -> Double {
        judgements.isEmpty ? 0 : Double(judgements.map(\.score).reduce(0, +)) / Double(judgements.count)
    }

    /// The record kept with the job and in the swap's change-log entry.
    public var json: JSONValue {
        ["prompt_source": .string(promptSource), "prompts": .int(prompts), "old_mean": .number(oldMean), "new_mean": .number(newMean),
         "old": .array(old.map(\.json)), "new": .array(new.map(\.json)), "order": .array(order.map { .string($0) }),
         "seconds": .number(Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)]
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

    /// Runs a validation: both minds answer every request, then ALFRED judges every answer in a
    /// shuffled order. Throws when an answer or a judgement cannot be had.
    static func run(persona: Proto, newModel: String, requests: [[ChatMessage]], promptSource: String,
                    image: Image, models: ModelManager) async throws -> FinetuneValidation {
        let started = ContinuousClock.now
        let oldBinding = PersonaPrimitives.binding(for: persona, models: models)
        var clone = persona
        clone.slots[GovernanceRules.modelSlot] = .string(newModel)
        let newBinding = PersonaPrimitives.binding(for: clone, models: models)
        let oldModel = oldBinding.model ?? models.model(for: oldBinding.persona) ?? "?"
        let options = ThinkOptions(generation: GenerationOptions(temperature: 0.2, maxTokens: 200, seed: 7, repeatPenalty: 1.1))

        var answers: [(prompt: Int, mind: String, model: String, text: String)] = []
        for (index, request) in requests.enumerated() {
            for (mind, binding, model) in [("old", oldBinding, oldModel), ("new", newBinding, newModel)] {
                try Task.checkCancellation()
                let result = try await models.chat(binding, messages: request, options: options, runID: "validation-\(newModel)")
                answers.append((index, mind, model, result.text))
            }
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
        return FinetuneValidation(promptSource: promptSource, prompts: requests.count, old: old, new: new,
                                  order: answers.map { "\($0.prompt):\($0.mind)" }, duration: ContinuousClock.now - started)
    }
}
