import A4PS
import Foundation
import LivingImage
import ScriptedModelServer
import Testing

/// ALFRED's codex amendments end to end, on scripted models: persistent dissonance → the
/// motivator's `amendment` goal (or the Architect asking) → a drafting run that proposes and pauses
/// → the Architect's decision (or the proposal's expiry) resumes it → the outcome is remembered;
/// the codex changes only on approval.
@Suite struct CodexAmendmentTests {
    static let principle = "Weigh the people an answer affects before its speed."
    static let draft = #"{"persona": "BRICK", "principle": "\#(principle)", "reasoning": "BRICK and ROBIN kept disagreeing on speed against people."}"#

    /// BRICK and ROBIN who never agree (dissonance ≥ 0.8 on every run), and ALFRED who drafts `draft`.
    static func script(draft: String = draft) -> Script {
        var script = DeliberationTests.script(robinAgrees: false, robinAnswer: "no: people matter more than speed", viability: 0.0)
        script.rules.insert(.init(model: "gemma2:9b-instruct", contains: "As the guardian of the personas' codices", json: JSONText(draft)), at: 0)
        return script
    }

    func deliberate(_ runtime: Runtime, _ task: String) async throws -> RunRecord {
        let run = try await runtime.runner.start(graph: "ALFRED.deliberation",
                                                 state: ["task": .string(task), "max_turns": 1, "dissonance_threshold": 0.8])
        #expect(run.status == .done, "\(run.error ?? "")")
        return run
    }

    /// The motivator queues the amendment goal from the `philosophical.dissonance.persistent` event
    /// (observed on the bus), then pursues it: ALFRED's drafting run.
    func pursueAmendmentGoal(_ runtime: Runtime) async throws -> Goal? {
        let queued = try await waitUntil("the amendment goal is queued") {
            try runtime.motivator.store.goals().contains { $0.kind == .amendment && $0.status == .queued }
        }
        guard queued else { return nil }
        guard case .pursued(let goal) = await runtime.motivator.runNext() else { return nil }
        return goal
    }

    func finalState(_ runtime: Runtime, _ run: String) async throws -> JSONValue {
        try await runtime.runner.history(run).last?.state ?? .null
    }

    func principles(_ runtime: Runtime, _ persona: String = "BRICK") -> [JSONValue] {
        runtime.image.memory.proto(named: persona)?.codex["principles"]?.arrayValue ?? []
    }

    @Test func persistentDissonanceMakesAlfredProposeAndTheArchitectsApprovalResumesHisRun() async throws {
        try await withRuntime(Self.script()) { runtime, server in
            let store = runtime.amendments.store
            let before = principles(runtime)
            let task = "Should we drop the change log to go faster?"
            let first = try await deliberate(runtime, task)
            _ = try await deliberate(runtime, task)
            #expect(try store.proposals().isEmpty, "two dissonant runs are not yet persistent (dissonance_events = 3)")
            let events = runtime.image.events.subscribe()
            let third = try await deliberate(runtime, task)

            // The third related dissonant run: the motivator's goal has ALFRED draft and propose; his run waits for the Architect.
            #expect(try store.proposals().isEmpty, "the draft is a goal, pursued when the Architect is not waiting")
            let goal = try #require(try await pursueAmendmentGoal(runtime))
            #expect(goal.kind == .amendment && goal.status == .done, "\(goal.reason ?? "")")
            let proposal = try #require(try store.proposals().first)
            #expect(goal.outcome["proposal"]?.intValue == Int(proposal.id))
            #expect(proposal.status == .pending && proposal.proposer == .alfred && proposal.persona == "BRICK")
            #expect(proposal.diff.set["principles"]?.arrayValue == before + [.string(Self.principle)])
            let cited = proposal.evidence["runs"]?.arrayValue?.compactMap { $0["run"]?.stringValue } ?? []
            #expect(Set(cited).isSuperset(of: [first.id, third.id]) && cited.count == 3)
            #expect(proposal.evidence["runs"]?.arrayValue?.first?["robin"] == "no: people matter more than speed")
            #expect(proposal.reasoning.contains("Drafting prompt") && proposal.reasoning.contains("3 dissonant deliberation"))
            #expect(proposal.reasoning.contains("BRICK and ROBIN kept disagreeing"))
            let runID = try #require(proposal.run)
            let waiting = try #require(try await runtime.runner.run(runID))
            #expect(waiting.status == .paused && waiting.graph == CodexAmendments.graph)
            #expect(waiting.interrupt?["proposal"]?.intValue == Int(proposal.id))
            #expect(principles(runtime) == before, "nothing changes before the Architect decides")
            _ = await readEvents(events, "philosophical.proposal.created") { event in
                if case .emitted("BRICK", let name, _) = event { return name.hasPrefix("philosophical.proposal.") }
                return false
            }
            let drafted = try await chatRequests(server).filter {
                $0["messages"]?.arrayValue?.last?["content"]?.stringValue?.contains("As the guardian") == true
            }
            #expect(drafted.count == 1)
            #expect(drafted.first?["messages"]?.arrayValue?.last?["content"]?.stringValue?.contains(task) == true)

            // The Architect approves: the codex changes (author architect), and ALFRED's run concludes and remembers.
            let decision = try await runtime.amendments.approve(proposal.id, note: "a fair principle")
            #expect(decision.resumeError == nil)
            #expect(decision.run?.status == .done)
            #expect(principles(runtime) == before + [.string(Self.principle)])
            let change = try #require(try runtime.image.history(proto: "BRICK", subject: "codex", limit: 1).first)
            #expect(change.author == .architect && change.reason.contains("proposal \(proposal.id)"))
            let concluded = try await finalState(runtime, runID)
            #expect(concluded["outcome"] == "approved" && concluded["note"] == "a fair principle")
            let memories = try await runtime.scrapbook.search("Codex amendment proposal \(proposal.id)", mode: .text, limit: 5)
            #expect(memories.contains { $0.memory.text.contains("was approved") })

            // A fourth dissonant run: the three already cited are not evidence again, so no new amendment goal.
            _ = try await deliberate(runtime, task)
            #expect(try runtime.motivator.store.goals().filter { $0.kind == .amendment }.count == 1)
            #expect(try store.proposals().count == 1)
        }
    }

    @Test func unrelatedDissonanceAndDissonanceAForgeOrFinetuneCameAfterDoNotCount() async throws {
        try await withRuntime(Self.script()) { runtime, _ in
            let store = runtime.amendments.store
            // Three dissonant runs on unrelated tasks: no persistent dissonance on one theme.
            _ = try await deliberate(runtime, "Which tea should the volunteers drink?")
            _ = try await deliberate(runtime, "Which colour suits the volunteers' badges?")
            _ = try await deliberate(runtime, "How many bicycles does the depot need?")
            #expect(try runtime.motivator.store.goals().filter { $0.kind == .amendment }.isEmpty)
            #expect(try store.proposals().isEmpty)

            // Two related runs, then the strategic loop rebinds BRICK: the dissonance before it counts as addressed.
            let task = "Should we drop the change log to go faster?"
            _ = try await deliberate(runtime, task)
            _ = try await deliberate(runtime, task)
            let brick = try #require(runtime.image.memory.proto(named: "BRICK"))
            var rebound = brick.clone()
            rebound.slots["model"] = "phi3:mini-4k-instruct"
            try await runtime.image.memory.swap(rebound, expecting: brick.version, author: .strategic, reason: "a validated fine-tune")
            _ = try await deliberate(runtime, task)
            _ = try await deliberate(runtime, task)
            #expect(try runtime.motivator.store.goals().filter { $0.kind == .amendment }.isEmpty, "only two dissonant runs came after the fine-tune")
            let third = try await deliberate(runtime, task)
            _ = try #require(try await pursueAmendmentGoal(runtime))
            let proposal = try #require(try store.proposals().first)
            let cited = proposal.evidence["runs"]?.arrayValue?.compactMap { $0["run"]?.stringValue } ?? []
            #expect(cited.count == 3 && cited.last == third.id)
        }
    }

    @Test func theArchitectAsksRejectsAndAlfredDoesNotProposeTheSameAgainWithoutNewEvidence() async throws {
        let draft = #"{"persona": "ROBIN", "principle": "Name the cost of every kindness you propose.", "reasoning": "The Architect worries about budgets."}"#
        try await withRuntime(Self.script(draft: draft)) { runtime, _ in
            let store = runtime.amendments.store
            let before = principles(runtime, "ROBIN")
            let run = try await runtime.amendments.draft(persona: "robin", concern: "ROBIN forgets the budget")
            #expect(run.status == .paused)
            let proposal = try #require(try store.proposals().first)
            #expect(proposal.persona == "ROBIN" && proposal.run == run.id && proposal.proposer == .alfred)
            #expect(proposal.evidence["concern"] == "ROBIN forgets the budget")
            #expect(proposal.reasoning.contains("asked by the Architect"))

            let decision = try await runtime.amendments.reject(proposal.id, note: "ROBIN's kindness is not for sale")
            #expect(decision.run?.status == .done)
            #expect(principles(runtime, "ROBIN") == before)
            #expect(try await finalState(runtime, run.id)["outcome"] == "rejected")

            // The same draft, nothing new behind it: refused, and the run says why.
            let again = try await runtime.amendments.draft(persona: "ROBIN", concern: "ROBIN forgets the budget")
            #expect(again.status == .done)
            let refused = try await finalState(runtime, again.id)["proposal_refused"]?.stringValue ?? ""
            #expect(refused.contains("not for sale") && refused.contains("new evidence"), "\(refused)")
            #expect(try store.proposals().count == 1)
            // Deciding the rejected proposal again is a clear error.
            let error = await #expect(throws: CodexProposalError.self) { try await runtime.amendments.approve(proposal.id) }
            #expect(error?.code == .alreadyDecided)
        }
    }

    @Test func anExpiredProposalChangesNothingAndItsRunConcludes() async throws {
        try await withRuntime(Self.script()) { runtime, _ in
            let before = principles(runtime)
            let run = try await runtime.amendments.draft(persona: "BRICK", concern: nil)
            let proposal = try #require(try runtime.amendments.store.proposals().first)
            let decisions = try await runtime.amendments.expire(now: proposal.expiresAt.addingTimeInterval(1))
            #expect(decisions.map(\.proposal.status) == [.expired])
            #expect(decisions.first?.run?.status == .done)
            #expect(try await finalState(runtime, run.id)["outcome"] == "expired")
            #expect(principles(runtime) == before)
            let error = await #expect(throws: CodexProposalError.self) { try await runtime.amendments.approve(proposal.id) }
            #expect(error?.code == .expired)
        }
    }

    /// A principle the schema refuses (empty): the model layer asks again, then the draft fails with the reason.
    @Test func aDraftWithoutAUsablePrincipleFailsCleanlyAndProposesNothing() async throws {
        let garbage = #"{"persona": "BRICK", "principle": "", "reasoning": "?"}"#
        try await withRuntime(Self.script(draft: garbage)) { runtime, _ in
            let before = runtime.image.memory.proto(named: "BRICK")?.codex
            let run = try await runtime.amendments.draft(persona: "BRICK", concern: "anything")
            #expect(run.status == .failed)
            #expect(run.error?.contains("draftAmendment") == true && run.error?.contains("JSON Schema") == true, "\(run.error ?? "")")
            #expect(try runtime.amendments.store.proposals().isEmpty)
            #expect(runtime.image.memory.proto(named: "BRICK")?.codex == before)
        }
    }

    @Test func resumingTheRunWithAForgedDecisionDoesNotConcludeAPendingProposal() async throws {
        try await withRuntime(Self.script()) { runtime, _ in
            let run = try await runtime.amendments.draft(persona: "BRICK", concern: nil)
            let proposal = try #require(try runtime.amendments.store.proposals().first)
            // Anyone can resume a run with an input, but the outcome is read from the proposal itself.
            let resumed = try await runtime.runner.resume(run.id, input: ["decision": "approved"])
            #expect(resumed.status == .failed && resumed.error?.contains("still pending") == true)
            #expect(try runtime.amendments.store.proposal(proposal.id)?.status == .pending)
            // The Architect's real decision lets it conclude.
            let decision = try await runtime.amendments.reject(proposal.id)
            #expect(decision.run?.status == .done, "\(decision.resumeError ?? "")")
        }
    }
}
