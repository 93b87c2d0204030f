import A4PS
import Foundation
import LivingImage
import Testing

/// The checkpointed graph runtime, with Lua nodes on a real image.
@Suite struct GraphRunnerTests {
    /// A counting loop: `count` until 3, then `finish`; each node records its visits in a slot.
    static let loopGraph: JSONValue = [
        "entry": "start",
        "nodes": [
            "start": ["proto": "BRICK", "selector": "start"],
            "count": ["proto": "BRICK", "selector": "count"],
            "finish": ["proto": "ROBIN", "selector": "finish"],
        ],
        "edges": ["start": "count", "count": ["proto": "ALFRED", "selector": "route"], "finish": "END"],
        "merge": ["log": "append"],
    ]

    func install(_ runtime: Runtime) async throws {
        let image = runtime.image
        try await image.setSlot("graph", of: "Persona", to: Self.loopGraph)
        try await image.defineMethod("start", on: "BRICK", source: "self:set('visits_start', (self:get('visits_start') or 0) + 1)\nreturn {n = 0, log = {'start'}}")
        try await image.defineMethod("count", on: "BRICK", source: """
            if self:get('broken') then error('count is broken') end
            self:set('visits_count', (self:get('visits_count') or 0) + 1)
            return {n = args.n + 1, log = {'count ' .. (args.n + 1)}}
            """)
        try await image.defineMethod("route", on: "ALFRED", source: "if args.n < 3 then return 'count' end return 'finish'")
        try await image.defineMethod("finish", on: "ROBIN", source: "return {answer = 'counted to ' .. args.n, log = {'finish'}}")
    }

    @Test func aRunCheckpointsEveryNodeAndFollowsConditionalEdges() async throws {
        try await withRuntime { runtime, _ in
            try await install(runtime)
            let events = runtime.image.events.subscribe()
            let run = try await runtime.runner.start(graph: "Persona.graph", state: ["task": "count"])
            #expect(run.status == .done)
            let history = try await runtime.runner.history(run.id)
            #expect(history.map(\.node) == [nil, "start", "count", "count", "count", "finish"])
            #expect(history.map(\.next) == ["start", "count", "count", "count", "finish", "END"])
            let final = try #require(history.last?.state)
            #expect(final["answer"] == "counted to 3")
            #expect(final["log"] == ["start", "count 1", "count 2", "count 3", "finish"])
            #expect(final["task"] == "count")
            let read = await readEvents(events, "the run's runStopped event") { event in
                if case .runStopped(let id, _, _) = event, id == run.id { return true }
                return false
            }
            let steps = read.filter { if case .runStepped(let id, _, _, _) = $0, id == run.id { true } else { false } }.count
            if case .runStopped(_, let status, _)? = read.last { #expect(status == "done") }
            #expect(steps == 5)
        }
    }

    @Test func aFailedRunResumesFromItsLastCheckpointWithoutRedoingFinishedNodes() async throws {
        try await withRuntime { runtime, _ in
            try await install(runtime)
            try await runtime.image.setSlot("broken", of: "BRICK", to: true)
            let failed = try await runtime.runner.start(graph: "Persona.graph", state: [:])
            #expect(failed.status == .failed)
            #expect(failed.error?.contains("count is broken") == true)
            #expect(failed.step == 1)
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["visits_start"] == 1)
            try await runtime.image.setSlot("broken", of: "BRICK", to: nil)
            let resumed = try await runtime.runner.resume(failed.id)
            #expect(resumed.status == .done)
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["visits_start"] == 1)
            #expect(runtime.image.memory.proto(named: "BRICK")?.slots["visits_count"] == 3)
        }
    }

    @Test func aNodeRunAgainRemembersWhatItRememberedOnceAndARunHasOneDriver() async throws {
        let graph: JSONValue = [
            "entry": "remember",
            "nodes": ["remember": ["proto": "BABS", "selector": "rememberTwice"]],
            "edges": ["remember": "END"],
        ]
        try await withRuntime { runtime, _ in
            try await runtime.image.setSlot("memo", of: "BABS", to: graph)
            // The node remembers two things, then fails the first time (as a crash would stop it before its checkpoint).
            try await runtime.image.defineMethod("rememberTwice", on: "BABS", source: """
                memory.add('the atlas lists food banks', {source = 'conversation'})
                memory.add('volunteers verify opening hours', {source = 'conversation'})
                if self:get('fragile') then error('stopped before the checkpoint') end
                return {remembered = 2}
                """)
            try await runtime.image.setSlot("fragile", of: "BABS", to: true)
            let failed = try await runtime.runner.start(graph: "BABS.memo", state: [:])
            #expect(failed.status == .failed)
            #expect(try await runtime.scrapbook.count() == 2)
            try await runtime.image.setSlot("fragile", of: "BABS", to: nil)
            let done = try await runtime.runner.resume(failed.id)
            #expect(done.status == .done)
            #expect(try await runtime.scrapbook.count() == 2, "the node run again remembered the same things twice")
            let hits = try await runtime.scrapbook.search("opening hours", mode: .text, limit: 5)
            #expect(hits.first?.memory.runID == failed.id)

            // Another runner (as another process would) cannot drive a run this one is driving.
            let other = try GraphRunner(image: runtime.image)
            // The node works long enough (5 s) that the refusal below comes while it runs, however busy the machine.
            try await runtime.image.defineMethod("rememberTwice", on: "BABS", source: "sleep(5) return {}")
            async let slow = runtime.runner.start(graph: "BABS.memo", state: [:])
            var running: String?
            try await waitUntil("the slow run started") {
                running = try await runtime.runner.runs(limit: 1).first(where: { $0.status == .running })?.id
                return running != nil
            }
            await #expect(throws: GraphError.self) { try await other.resume(running!) }
            #expect(try await slow.status == .done)
        }
    }

    @Test func interruptPausesForAHumanAndResumesWithTheirInput() async throws {
        let graph: JSONValue = [
            "entry": "ask",
            "nodes": ["ask": ["proto": "ALFRED", "selector": "askHuman"], "act": ["proto": "BRICK", "selector": "act"]],
            "edges": ["ask": "act", "act": "END"],
        ]
        try await withRuntime { runtime, _ in
            try await runtime.image.setSlot("approval", of: "ALFRED", to: graph)
            try await runtime.image.defineMethod("askHuman", on: "ALFRED", source: """
                self:set('asked', true)
                local ok = pcall(interrupt, {question = 'swallowed?'})
                local answer = interrupt({question = 'May BRICK act on ' .. args.task .. '?'})
                return {approved = answer}
                """)
            try await runtime.image.defineMethod("act", on: "BRICK", source: "return {done = args.approved == true}")
            let paused = try await runtime.runner.start(graph: "ALFRED.approval", state: ["task": "the plan"])
            #expect(paused.status == .paused)
            #expect(paused.interrupt?["question"] == "swallowed?")
            #expect(runtime.image.memory.proto(named: "ALFRED")?.slots["asked"] == nil)  // the paused node wrote nothing
            await #expect(throws: GraphError.self) { try await runtime.runner.resume(paused.id) }
            let second = try await runtime.runner.resume(paused.id, input: true)
            #expect(second.status == .paused)
            #expect(second.interrupt?["question"] == "May BRICK act on the plan?")
            let done = try await runtime.runner.resume(paused.id, input: true)
            #expect(done.status == .done)
            #expect(try await runtime.runner.history(done.id).last?.state["done"] == true)
        }
    }

    @Test func forkStartsANewRunFromAPastCheckpointAndLeavesTheOriginal() async throws {
        try await withRuntime { runtime, _ in
            try await install(runtime)
            let original = try await runtime.runner.start(graph: "Persona.graph", state: [:])
            let before = try await runtime.runner.history(original.id)
            let fork = try await runtime.runner.fork(original.id, fromStep: 2, state: ["n": 2, "log": ["forked"]])
            #expect(fork.status == .done)
            #expect(fork.id != original.id)
            let forked = try await runtime.runner.history(fork.id)
            #expect(forked.last?.state["log"] == ["forked", "count 3", "finish"])
            #expect(try await runtime.runner.history(original.id) == before)
            #expect(try await runtime.runner.run(fork.id)?.forkedFrom == "\(original.id)@2")
        }
    }

    @Test func aChangedGraphTakesEffectAtTheNextNode() async throws {
        try await withRuntime { runtime, _ in
            try await install(runtime)
            try await runtime.image.defineMethod("route", on: "ALFRED", source: "if args.n >= 1 then interrupt({stop = 'here'}) end return 'count'")
            let paused = try await runtime.runner.start(graph: "Persona.graph", state: [:])
            #expect(paused.status == .failed || paused.status == .paused)
            // Rewire while the run waits: after `count` comes `finish` directly.
            var graph = Self.loopGraph
            if case .object(var members) = graph, case .object(var edges) = members["edges"]! {
                edges["count"] = "finish"
                members["edges"] = .object(edges)
                graph = .object(members)
            }
            try await runtime.image.setSlot("graph", of: "Persona", to: graph)
            try await runtime.image.defineMethod("route", on: "ALFRED", source: "return 'count'")
            let resumed = try await runtime.runner.resume(paused.id, input: "go")
            #expect(resumed.status == .done)
            // The paused step (count, then the router) runs again: the run finishes after one count.
            #expect(try await runtime.runner.history(resumed.id).last?.state["answer"] == "counted to 1")
        }
    }

    @Test func anInvalidGraphIsRefusedClearly() async throws {
        try await withRuntime { runtime, _ in
            try await runtime.image.setSlot("graph", of: "Persona", to: ["entry": "nowhere", "nodes": ["a": ["proto": "BRICK", "selector": "x"]], "edges": ["a": "END"]])
            do {
                _ = try await runtime.runner.start(graph: "Persona.graph", state: [:])
                Issue.record("an invalid graph ran")
            } catch let error as GraphError {
                #expect(error.description.contains("the entry \"nowhere\" is not a node"))
            }
        }
    }
}
