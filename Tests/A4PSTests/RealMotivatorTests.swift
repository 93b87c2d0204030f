import A4PS
import Foundation
import LivingImage
import Testing

/// Seed 001 §4.1 on the real embedded model (part of the serialized real-model suite): the Atlas
/// task's dissonance becomes a goal, pursued after the Architect's request as a real follow-up
/// deliberation, remembered. Mechanics only: the dissonance threshold is 0 so the event fires
/// whatever the small model's positions are.
extension RealModelTests {
    @Test func theAtlasDissonanceDrivesARealFollowUpDeliberation() async throws {
        try await withEmbeddedRuntime(configure: { $0.strategic.scoreDeliberations = false }) { runtime in
            // One turn for the follow-up too: ALFRED's codex says how many (the Architect's edit, as a person would make it).
            let alfred = try #require(runtime.image.memory.proto(named: "ALFRED"))
            var edited = alfred.clone()
            var codex = try #require(edited.codex.objectValue)
            var rules = codex["motivator"]?.objectValue ?? [:]
            rules["follow_up_turns"] = 1
            codex["motivator"] = .object(rules)
            edited.codex = .object(codex)
            try await runtime.image.memory.swap(edited, expecting: alfred.version, author: .architect, reason: "shorter follow-ups")
            let asked = try await runtime.serving("ask") {
                try await runtime.runner.start(graph: "ALFRED.deliberation",
                                               state: ["task": .string(Self.atlasTask), "max_turns": 1, "dissonance_threshold": 0.0])
            }
            #expect(asked.status == .done, "\(asked.error ?? "")")
            try await waitUntil("the dissonance goal is queued") {
                try runtime.motivator.store.goals().contains { $0.kind == .deliberation && $0.status == .queued }
            }
            let started = ContinuousClock.now
            guard case .pursued(let goal) = await runtime.motivator.runNext() else { Issue.record("the goal did not run"); return }
            let took = ContinuousClock.now - started
            #expect(goal.status == .done, "\(goal.reason ?? "")")
            let run = try #require(goal.run)
            #expect(try await runtime.runner.run(run)?.status == .done)
            #expect(goal.outcome["answer"]?.stringValue?.isEmpty == false)
            let memories = try await runtime.scrapbook.search("Resolve the dissonance", mode: .text, limit: 10)
            #expect(memories.contains { $0.memory.runID == run })
            print("motivator on the real model: follow-up deliberation \(run) in \(took), goal \(goal.id) done")
        }
    }
}
