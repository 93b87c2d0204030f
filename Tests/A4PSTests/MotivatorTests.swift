import A4PS
import Foundation
import Inference
import LivingImage
import ScriptedModelServer
import Testing

/// The autotelic motivator on scripted models: events in, goals out, pursued only when the
/// Architect is not waiting, within the Architect's budget.
@Suite struct MotivatorTests {
    static let atlasTask = "Design an onboarding protocol for new volunteers of the Community Resource Atlas."

    /// BRICK and ROBIN who never agree; ROBIN answers after `robinDelay` ms.
    static func script(robinDelay: Int? = nil) -> Script {
        var script = DeliberationTests.script(robinAgrees: false, robinAnswer: "no: people matter more than speed", viability: 0.0)
        if let robinDelay { script.rules[1].fault = .init(kind: .slowStart, delayMilliseconds: robinDelay) }
        return script
    }

    func deliberate(_ runtime: Runtime, _ task: String) async throws -> RunRecord {
        try await runtime.runner.start(graph: "ALFRED.deliberation",
                                       state: ["task": .string(task), "max_turns": 1, "dissonance_threshold": 0.8])
    }

    func goals(_ runtime: Runtime, _ kind: Goal.Kind? = nil) throws -> [Goal] {
        try runtime.motivator.store.goals().filter { kind == nil || $0.kind == kind }
    }

    /// Seed 001 §4.1: the Atlas task makes BRICK and ROBIN disagree → dissonance → a goal → after the
    /// Architect's request ends, a follow-up deliberation runs on its own → remembered, the goal done.
    @Test func theAtlasDissonanceBecomesAFollowUpDeliberationAfterTheArchitectsRequest() async throws {
        try await withRuntime(Self.script()) { runtime, _ in
            let events = runtime.image.events.subscribe()
            let asked = try await runtime.serving("ask") {
                let run = try await deliberate(runtime, Self.atlasTask)
                // Queued while the Architect waits, but not pursued.
                try await waitUntil("the dissonance goal is queued") { try goals(runtime, .deliberation).count == 1 }
                #expect(await runtime.motivator.runNext() == .architectBusy)
                return run
            }
            #expect(asked.status == .done)
            let goal = try #require(try goals(runtime, .deliberation).first)
            #expect(goal.status == .queued && goal.title.hasPrefix("Resolve the dissonance between BRICK and ROBIN on: Design an onboarding"))
            #expect(goal.origin["event"] == "cognitive_dissonance" && goal.origin["payload"]?["task"] == .string(Self.atlasTask))

            // The Architect's request ended: the motivator, running on its own, pursues the goal.
            // (Stopped and awaited before the runtime shuts down: it reads the image file.)
            let loop = Task { await runtime.motivator.run() }
            let finished = try await waitUntil("the goal is done") { try runtime.motivator.store.goal(goal.id)?.status == .done }
            loop.cancel()
            await loop.value
            guard finished else { return }
            let done = try #require(try runtime.motivator.store.goal(goal.id))
            let followUp = try #require(done.run)
            #expect(done.outcome["run"] == .string(followUp) && done.outcome["answer"] == "Cache the image in memory and log every change.")
            #expect(try await runtime.runner.run(followUp)?.status == .done)
            let followState = try #require(try await runtime.runner.history(followUp).last?.state)
            #expect(followState["task"]?.stringValue?.contains("BRICK held:") == true && followState["goal"]?.intValue == Int(goal.id))
            // Its result is remembered (BABS's remember node keeps the interaction, tagged with the run).
            let memories = try await runtime.scrapbook.search("Resolve the dissonance", mode: .text, limit: 10)
            #expect(memories.contains { $0.memory.runID == followUp })
            // The follow-up's own dissonance does not breed another follow-up; the same dissonance twice is one goal.
            #expect(try goals(runtime, .deliberation).count == 1)
            await runtime.motivator.receive("cognitive_dissonance", from: "ALFRED", payload: ["task": .string("Another task"), "score": 0.9])
            await runtime.motivator.receive("cognitive_dissonance", from: "ALFRED", payload: ["task": .string("Another task"), "score": 0.95])
            #expect(try goals(runtime, .deliberation).count == 2)
            _ = await readEvents(events, "motivator.goal.done") { event in
                if case .emitted("ALFRED", "motivator.goal.done", _) = event { return true }
                return false
            }
        }
    }

    @Test func aBurstOfEventsQueuesTheAllowedNumberAndDefersTheRestWithTheReason() async throws {
        try await withRuntime(Self.script(), configure: { $0.motivator.goalsPerHour = 2 }) { runtime, _ in
            let vetoes = runtime.image.events.subscribe()
            for gap in ["tide tables", "bus routes", "clinic hours", "food bank stock", "shelter beds"] {
                await runtime.motivator.receive("curiosity_deficit", from: "ALFRED", payload: ["gap": .string(gap), "evidence": ["why": "test"]])
            }
            let all = try goals(runtime, .research)
            #expect(all.count == 5)
            #expect(all.filter { $0.status == .queued }.count == 2)
            let deferred = all.filter { $0.status == .deferred }
            #expect(deferred.count == 3)
            #expect(deferred.allSatisfy { $0.reason?.contains("goals_per_hour") == true && $0.notBefore != nil })
            // Pursuing: the two allowed run (BABS researches, the report is remembered); then nothing may run.
            for _ in 0..<2 {
                guard case .pursued(let goal) = await runtime.motivator.runNext() else { Issue.record("no goal ran"); return }
                #expect(goal.status == .done && goal.outcome["memory"] != nil, "\(goal.reason ?? "")")
            }
            #expect(await runtime.motivator.runNext() == .idle)
            // A deferred goal whose time came is checked again by the governor, which refuses it while the hour is spent.
            let later = Date().addingTimeInterval(3 * 3600)
            guard case .pursued(let retried) = await runtime.motivator.runNext(now: later) else { Issue.record("nothing retried"); return }
            #expect(retried.status == .done || retried.status == .deferred)
            _ = await readEvents(vetoes, "a governor veto for the budget") { event in
                if case .emitted("ALFRED", "motivator.goal.deferred", _) = event { return true }
                return false
            }
        }
    }

    @Test func aGoalGivesWayToTheArchitectAndResumesItsRunAfterwards() async throws {
        try await withRuntime(Self.script(robinDelay: 600)) { runtime, _ in
            let events = runtime.image.events.subscribe()
            let goal = try #require(await runtime.motivator.receive("cognitive_dissonance", from: "ALFRED",
                                                                    payload: ["task": .string(Self.atlasTask), "brick": "speed", "robin": "people"]))
            let pursuit = Task { await runtime.motivator.runNext() }
            // Once the goal's run has checkpointed a node, the Architect arrives.
            _ = await readEvents(events, "the goal's run steps") { event in
                if case .runStepped(_, 1, _, _) = event { return true }
                return false
            }
            let paused = try await runtime.serving("ask") {
                try await waitUntil("the goal gives way") { try runtime.motivator.store.goal(goal.id)?.status == .deferred }
                return try #require(try runtime.motivator.store.goal(goal.id))
            }
            #expect(paused.reason?.contains("gave way to the Architect") == true)
            let run = try #require(paused.run)
            let stopped = try #require(try await runtime.runner.run(run))
            #expect(stopped.status == .running && stopped.step >= 1 && stopped.next != "END", "it stopped at a checkpoint, mid-way")
            _ = await pursuit.value
            // After the Architect's request: the same run goes on from where it stopped, and nothing is redone.
            guard case .pursued(let resumed) = await runtime.motivator.runNext() else { Issue.record("the goal did not resume"); return }
            #expect(resumed.status == .done && resumed.run == run && resumed.attempts == 2, "\(resumed.reason ?? "")")
            let nodes = try await runtime.runner.history(run).compactMap(\.node)
            #expect(nodes == ["receive", "research", "propose", "evaluate", "propose", "evaluate", "measure", "synthesize", "remember"],
                    "a follow-up deliberates two turns; no node ran twice for the pause")
        }
    }

    @Test func aGoalWhoseHandlerRaisesFailsAndTheMotivatorGoesOn() async throws {
        try await withRuntime(Self.script()) { runtime, _ in
            // ALFRED's rules are Lua, editable: make a broken forge goal out of a not-understood message.
            _ = try await runtime.image.defineMethod("goalFor", on: "ALFRED", source: """
                if args.event == "not_understood" then return {kind = "forge", priority = 9, title = "broken", args = {}} end
                if args.event == "curiosity_deficit" then return {kind = "research", priority = 1, title = "gap", args = {topic = args.payload.gap}} end
                return nil
                """)
            let events = runtime.image.events.subscribe()
            await runtime.motivator.receive("not_understood", from: "BRICK", payload: ["receiver": "BRICK", "selector": "fly"])
            await runtime.motivator.receive("curiosity_deficit", from: "ALFRED", payload: ["gap": "clinic hours"])
            guard case .pursued(let broken) = await runtime.motivator.runNext() else { Issue.record("nothing ran"); return }
            #expect(broken.status == .failed && broken.reason?.contains("args.proto") == true, "\(broken.reason ?? "")")
            _ = await readEvents(events, "motivator.goal.failed") { event in
                if case .emitted("ALFRED", "motivator.goal.failed", let payload) = event { return payload["goal"]?.intValue == Int(broken.id) }
                return false
            }
            guard case .pursued(let next) = await runtime.motivator.runNext() else { Issue.record("the motivator stopped"); return }
            #expect(next.status == .done && next.kind == .research)
            // An unknown kind from the rules is reported, not queued.
            _ = try await runtime.image.defineMethod("goalFor", on: "ALFRED", source: "return {kind = \"dance\"}")
            #expect(await runtime.motivator.receive("curiosity_deficit", from: "ALFRED", payload: ["gap": "x"]) == nil)
        }
    }

    /// An ascension evaluation as a goal: refused by default (`goals_may_finetune = false`), and when
    /// allowed, BABS's evaluation runs; one that cannot (BRICK has no golden hold-out yet) ends the goal with the reason.
    @Test func anAscensionGoalWaitsForTheArchitectsLeaveThenEvaluates() async throws {
        let rules = "if args.event == \"curiosity_deficit\" then return {kind = \"ascension\", title = \"try it\", args = {persona = \"BRICK\", model = \"no-such-model:1b\"}} end return nil"
        try await withRuntime(Self.script()) { runtime, _ in
            _ = try await runtime.image.defineMethod("goalFor", on: "ALFRED", source: rules)
            let goal = try #require(await runtime.motivator.receive("curiosity_deficit", from: "ALFRED", payload: ["gap": "a better mind"]))
            #expect(goal.status == .deferred && goal.reason?.contains("goals_may_finetune") == true, "\(goal.reason ?? "")")
        }
        try await withRuntime(Self.script(), configure: { $0.motivator.goalsMayFinetune = true }) { runtime, _ in
            _ = try await runtime.image.defineMethod("goalFor", on: "ALFRED", source: rules)
            let queued = try #require(await runtime.motivator.receive("curiosity_deficit", from: "ALFRED", payload: ["gap": "a better mind"]))
            #expect(queued.status == .queued && queued.kind == .ascension)
            guard case .pursued(let goal) = await runtime.motivator.runNext() else { Issue.record("the goal did not run"); return }
            #expect(goal.status == .failed && goal.reason?.contains("no golden examples") == true, "\(goal.reason ?? "")")
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["model"] == nil, "production untouched")
        }
    }

    @Test func theArchitectCancelsAndDisablesGoals() async throws {
        try await withRuntime(Self.script()) { runtime, _ in
            let goal = try #require(await runtime.motivator.receive("curiosity_deficit", from: "ALFRED", payload: ["gap": "tides"]))
            #expect(try await runtime.motivator.cancel(goal.id).status == .cancelled)
            #expect(await runtime.motivator.runNext() == .idle)
            #expect(throws: MotivatorError.self) { try runtime.motivator.store.cancel(goal.id) }
        }
        try await withRuntime(Self.script(), configure: { $0.motivator.enabled = false }) { runtime, _ in
            _ = try await deliberate(runtime, Self.atlasTask)
            #expect(await runtime.motivator.receive("curiosity_deficit", from: "ALFRED", payload: ["gap": "tides"]) == nil)
            #expect(await runtime.motivator.runNext() == .disabled)
            #expect(try goals(runtime).isEmpty)
        }
    }

    @Test func theCuriosityReviewNamesGapsAndTheyBecomeResearchGoals() async throws {
        try await withRuntime(Self.script()) { runtime, _ in
            // A deliberation on a topic memory knows nothing about: BABS found no sources.
            _ = try await deliberate(runtime, "Where do the tide tables for the harbour come from?")
            let gaps = try await runtime.motivator.reviewCuriosity()
            #expect(gaps.contains { $0["gap"] == "Where do the tide tables for the harbour come from?" })
            try await waitUntil("the research goal is queued") {
                try goals(runtime, .research).contains { $0.args["topic"] == "Where do the tide tables for the harbour come from?" }
            }
            // A second review looks only at what happened since the first.
            #expect(try await runtime.motivator.reviewCuriosity().isEmpty)
        }
    }
}
