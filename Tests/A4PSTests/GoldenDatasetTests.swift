@testable import A4PS
import Foundation
import LivingImage
import Testing

/// The personas' golden datasets: what a golden interaction gives, and what bad input never does.
@Suite struct GoldenDatasetTests {
    static func history(_ pairs: [(String, String)]) -> JSONValue {
        .array(pairs.flatMap { [["role": "user", "content": .string($0.0)], ["role": "assistant", "content": .string($0.1)]] as [JSONValue] })
    }

    @Test func aGoldenStateGivesOneChatMLConversationPerTurnOnceOnly() async throws {
        try await withRuntime { runtime, _ in
            let state: JSONValue = [
                "task": "t",
                "brick_history": Self.history([("Task: t — propose", #"{"thoughts": [{"text": "a"}]}"#), ("ROBIN answered: b", #"{"thoughts": [{"text": "c"}]}"#)]),
                "robin_history": Self.history([("Evaluate a", #"{"agree": true}"#)]),
                "alfred_history": Self.history([("Synthesize", "The answer.")]),
            ]
            let harvest = try runtime.golden.harvest(run: "run-1", state: state, overall: 4.75)
            #expect(harvest.added == ["BRICK": 2, "ROBIN": 1, "ALFRED": 1])
            #expect(harvest.skipped.isEmpty)
            let brick = try runtime.golden.examples(of: "brick")
            #expect(brick.count == 2)
            // Turn 2 carries BRICK's conversation so far: system, user, assistant, user, assistant.
            let second = try #require(brick.last?.messages.arrayValue)
            #expect(second.map { $0["role"]?.stringValue ?? "" } == ["system", "user", "assistant", "user", "assistant"])
            #expect(second[0]["content"] == runtime.image.memory.proto(named: "BRICK")?.codex["system_prompt"])
            #expect(brick.allSatisfy { $0.run == "run-1" && $0.overall == 4.75 })
            // JSONL exactly as TRL and Unsloth load it.
            let lines = try (runtime.golden.jsonl(of: "BRICK", split: .train) + runtime.golden.jsonl(of: "BRICK", split: .holdout))
                .split(separator: "\n")
            #expect(lines.count == 2)
            #expect(try lines.allSatisfy { try JSONValue(parsing: String($0))["messages"]?.arrayValue?.first?["role"] == "system" })
            // The same interaction again adds nothing.
            let again = try runtime.golden.harvest(run: "run-1", state: state, overall: 4.75)
            #expect(again.added.isEmpty && again.duplicates == 4)
            #expect(try runtime.golden.counts() == ["BRICK": 2, "ROBIN": 1, "ALFRED": 1])
            // The split is fixed by content.
            #expect(try runtime.golden.examples(of: "BRICK").map(\.split) == brick.map(\.split))
            let removed = try #require(brick.first?.id)
            #expect(try runtime.golden.remove(removed))
            #expect(try runtime.golden.example(removed) == nil)
        }
    }

    @Test func badInputIsSkippedWithItsReasonNeverHalfWritten() async throws {
        try await withRuntime { runtime, _ in
            // ROBIN loses her system prompt: the Architect first lets a codex go without one
            // (system_prompt_names_persona in ALFRED's codex).
            let alfred = try #require(runtime.image.memory.proto(named: "ALFRED"))
            var lenient = alfred.clone()
            var rules = lenient.codex["governance"]?.objectValue ?? [:]
            rules["system_prompt_names_persona"] = false
            var alfredCodex = lenient.codex.objectValue ?? [:]
            alfredCodex["governance"] = .object(rules)
            lenient.codex = .object(alfredCodex)
            _ = try await runtime.image.memory.swap(lenient, expecting: alfred.version, author: .architect, reason: "let a prompt go")
            let robin = try #require(runtime.image.memory.proto(named: "ROBIN"))
            var clone = robin.clone()
            var codex = clone.codex.objectValue ?? [:]
            codex["system_prompt"] = nil
            clone.codex = .object(codex)
            _ = try await runtime.image.memory.swap(clone, expecting: robin.version, author: .architect, reason: "no prompt")
            let giant = String(repeating: "x", count: GoldenDataset.maxMessageBytes + 1)
            let state: JSONValue = [
                "brick_history": [["role": "assistant", "content": "answer without a question"]],
                "robin_history": Self.history([("Evaluate", "ok")]),
                "alfred_history": Self.history([("Synthesize", giant)]),
            ]
            let harvest = try runtime.golden.harvest(run: "run-2", state: state, overall: 5)
            #expect(harvest.added.isEmpty)
            #expect(harvest.skipped.count == 3, "\(harvest.skipped)")
            #expect(harvest.skipped.contains { $0.hasPrefix("BRICK:") && $0.contains("alternating") })
            #expect(harvest.skipped.contains { $0.hasPrefix("ROBIN:") && $0.contains("system prompt") })
            #expect(harvest.skipped.contains { $0.hasPrefix("ALFRED") && $0.contains("bytes") })
            #expect(try runtime.golden.counts().isEmpty)
        }
    }
}
