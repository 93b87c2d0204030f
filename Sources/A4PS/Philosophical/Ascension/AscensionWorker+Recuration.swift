import Foundation
import Inference
import JSON
import LivingImage

/// The re-curation of a persona's past through its new mind (seed 002 §4.3), bounded.
///
/// What is re-scored: the persona's own conversations in its finished deliberations (the runs the
/// scrapbook remembers — `brick_history`, `robin_history`, `alfred_history` of each run's final
/// state), newest run first. Each of its past requests is asked again, in order, of the persona
/// as it now thinks (its new binding), with the conversation rebuilt from the new mind's own
/// earlier answers; ALFRED judges each new answer blind (`ALFRED>>judge`), and an answer scored at
/// or above `[strategic] golden_threshold` becomes a golden example (provenance
/// `ascension-N:RUN`). At most `[ascension] recurate_limit` requests in all; the old golden
/// examples stay (a person removes any with `a4ps golden remove`). A persona without a
/// conversation of its own in the deliberation state (BABS) has nothing to re-curate.
extension AscensionWorker {
    func recurate(_ record: AscensionRecord) async -> JSONValue {
        let started = ContinuousClock.now
        guard settings.recurateLimit > 0 else { return ["skipped": "[ascension] recurate_limit = 0"] }
        guard let key = GoldenDataset.conversations.first(where: { $0.0 == record.persona })?.1 else {
            return ["skipped": .string("\(record.persona) has no conversation of its own in past deliberations to re-curate")]
        }
        guard let proto = image.memory.proto(named: record.persona), let system = proto.codex["system_prompt"]?.stringValue else {
            return ["skipped": .string("\(record.persona) has no system prompt")]
        }
        let binding = PersonaPrimitives.binding(for: proto, models: models)
        let options = ThinkOptions(generation: GenerationOptions(temperature: 0.2, maxTokens: settings.answerTokens, seed: 7, repeatPenalty: 1.1))
        let threshold = strategic.goldenThreshold
        var (asked, added, runsSeen) = (0, 0, 0)
        var scores: [JSONValue] = []
        var problems: [String] = []
        let runs = ((try? await runner.runs(limit: 200)) ?? []).filter { $0.status == .done }
        runLoop: for run in runs {
            guard let state = (try? await runner.history(run.id))?.last?.state, let turns = GoldenDataset.turns(state[key] ?? .null) else { continue }
            runsSeen += 1
            var conversation: [ChatMessage] = []
            var transcript: [JSONValue] = [["role": "system", "content": .string(system)]]
            for user in stride(from: 0, to: turns.count, by: 2) {
                guard asked < settings.recurateLimit, let request = turns[user]["content"]?.stringValue else { break runLoop }
                conversation.append(.user(request))
                transcript.append(["role": "user", "content": .string(request)])
                asked += 1
                do {
                    let answer = try await models.chat(binding, messages: conversation, options: options, runID: "ascension-\(record.id)-recuration")
                    let verdict = try await image.send(GovernanceRules.keeper, "judge", [
                        "persona": .string(record.persona), "role": proto.codex["role"] ?? .null,
                        "request": .string(BlindValidation.rendered(conversation, persona: record.persona)), "answer": .string(answer.text),
                    ], author: .system)
                    conversation.append(.assistant(answer.text))
                    transcript.append(["role": "assistant", "content": .string(answer.text)])
                    guard let score = verdict["score"]?.intValue else { problems.append("ALFRED>>judge answered \(verdict.jsonText.prefix(80))"); continue }
                    scores.append(["run": .string(run.id), "turn": .int(user / 2 + 1), "score": .int(score)])
                    if Double(score) >= threshold,
                       (try? golden.add(persona: record.persona, messages: .array(transcript), run: "ascension-\(record.id):\(run.id)",
                                        overall: Double(score))) == true {
                        added += 1
                    }
                } catch {
                    problems.append("\(run.id) turn \(user / 2 + 1): \(error)")
                    break
                }
            }
        }
        var result: [String: JSONValue] = [
            "source": .string("\(key) of finished deliberations, newest first"), "runs": .int(runsSeen), "requests": .int(asked),
            "limit": .int(settings.recurateLimit), "golden_threshold": .number(threshold), "scores": .array(scores),
            "golden_added": .int(added), "seconds": .number(BlindValidation.seconds(ContinuousClock.now - started)),
        ]
        if !problems.isEmpty { result["problems"] = JSONValue.array(problems.prefix(10).map { JSONValue.string(String($0.prefix(300))) }) }
        return .object(result)
    }
}
