import A4PS
import Foundation
import LivingImage
import ScriptedModelServer
import Testing
import TestWaiting

/// The default four-persona workflow of the genesis image, end to end over HTTP to scripted personas.
@Suite struct DeliberationTests {
    static let thoughts = #"{"thoughts": [{"text": "cache the image in memory"}, {"text": "log every change"}, {"text": "measure first"}]}"#
    /// ALFRED's Oracle judging the interaction: overall (4 + 5 + 5 + 4) / 4 = 4.5.
    static let oracleVerdict = #"{"logical_rigor": {"score": 4, "reason": "sound"}, "creative_synthesis": {"score": 5, "reason": "kind"}, "dissonance_resolution": {"score": 5, "reason": "agreed"}, "task_efficacy": {"score": 4, "reason": "answers it"}}"#

    static func script(robinAgrees: Bool, robinAnswer: String, viability: Double, brickReplies: [String]? = nil) -> Script {
        let verdict = #"{"scores": [{"viability": \#(Int((viability * 10).rounded())), "alignment": 9}, {"viability": 2, "alignment": 5}, {"viability": 3, "alignment": 5}], "answer": "\#(robinAnswer)", "agree": \#(robinAgrees)}"#
        return Script(rules: [
            brickReplies.map { .init(model: "phi3:mini-4k-instruct", replies: $0) }  // the retry prompt quotes the violations, not the task
                ?? .init(model: "phi3:mini-4k-instruct", contains: "Propose three", json: JSONText(thoughts)),
            .init(model: "llama3.1:8b-instruct", contains: "Evaluate each", json: JSONText(verdict)),
            .init(model: "gemma2:9b-instruct", contains: "As the Oracle", json: JSONText(oracleVerdict)),
            .init(model: "gemma2:9b-instruct", contains: "Synthesize", reply: "Cache the image in memory and log every change."),
        ])
    }

    func deliberate(_ runtime: Runtime, _ task: String, maxTurns: Int = 5) async throws -> (RunRecord, JSONValue) {
        let run = try await runtime.runner.start(graph: "ALFRED.deliberation",
                                                 state: ["task": .string(task), "max_turns": .int(maxTurns), "dissonance_threshold": 0.8])
        return (run, try await runtime.runner.history(run.id).last?.state ?? .null)
    }

    @Test func agreeingPersonasConvergeEarlyAndAlfredAnswers() async throws {
        let script = Self.script(robinAgrees: true, robinAnswer: "cache the image in memory and log every change", viability: 0.9)
        try await withRuntime(script) { runtime, server in
            let events = runtime.image.events.subscribe()
            let (run, state) = try await deliberate(runtime, "How should the image stay fast?")
            #expect(run.status == .done)
            #expect(state["answer"] == "Cache the image in memory and log every change.")
            // Kept with the run: each node's time and the model loads it caused.
            let checkpoints = try await runtime.runner.history(run.id).dropFirst()
            #expect(checkpoints.allSatisfy { $0.durationMs > 0 })
            #expect(checkpoints.map(\.modelLoads).reduce(0, +) >= 4)
            // Tokens reached the image's event bus, tagged with this run.
            let runID = run.id
            let read = await readEvents(events, "the run's runStopped event") { event in
                if case .runStopped(runID, _, _) = event { return true }
                return false
            }
            let tokens = read.filter { event in
                if case .modelToken(_, runID, _) = event { return true }
                return false
            }
            #expect(tokens.count > 0)
            #expect(state["turn"] == 1)
            #expect((state["dissonance"]?.doubleValue ?? 1) < 0.3)
            #expect(try await runtime.runner.history(run.id).compactMap(\.node)
                == ["receive", "research", "propose", "evaluate", "measure", "synthesize", "remember"])
            // What each persona was sent: its codex's system prompt, and the task and dialogue.
            let chats = try await chatRequests(server)
            for (model, persona) in [("phi3:mini-4k-instruct", "BRICK"), ("llama3.1:8b-instruct", "ROBIN"), ("gemma2:9b-instruct", "ALFRED")] {
                let request = try #require(chats.first { $0["model"]?.stringValue == model })
                let messages = try #require(request["messages"]?.arrayValue)
                #expect(messages.first?["content"] == runtime.image.memory.proto(named: persona)?.codex["system_prompt"])
                #expect(messages.last?["content"]?.stringValue?.contains("How should the image stay fast?") == true)
            }
            let alfred = try #require(chats.last {
                $0["model"] == "gemma2:9b-instruct" && $0["messages"]?.arrayValue?.last?["content"]?.stringValue?.contains("Synthesize") == true
            })
            #expect(alfred["messages"]?.arrayValue?.last?["content"]?.stringValue?.contains("ROBIN: cache the image in memory and log every change") == true)
            // ALFRED's Oracle scored the finished run on his codex's rubric, and said so on the bus.
            let score = try #require(try await runtime.runner.scores(run.id).last)
            #expect(score.overall == 4.5)
            #expect(score.scores["creative_synthesis"]?["score"] == 5)
            #expect(score.scores["task_efficacy"]?["reason"] == "answers it")
            let judged = try #require(chats.last { $0["messages"]?.arrayValue?.last?["content"]?.stringValue?.contains("As the Oracle") == true })
            #expect(judged["format"]?["required"]?.arrayValue?.count == 4, "the rubric is sent as the server's constraint")
            // He scores as the continuation of his synthesis (the prompt cache serves it again): his answer is in the conversation.
            let judgedMessages = try #require(judged["messages"]?.arrayValue)
            #expect(judgedMessages.dropLast().last?["content"] == "Cache the image in memory and log every change.")
            #expect(judgedMessages.dropLast().last?["role"] == "assistant")
            #expect(judgedMessages.contains { $0["content"]?.stringValue?.contains("Synthesize the dialogue") == true })
            let scored = await readEvents(events, "the oracle.scored event") { event in
                if case .emitted("ALFRED", "oracle.scored", _) = event { return true }
                return false
            }
            if case .emitted(_, _, let payload)? = scored.last { #expect(payload["overall"] == 4.5 && payload["run"] == .string(run.id)) }
            // At the golden threshold (4.5): each persona that spoke gave its exchange to its golden dataset.
            #expect(try runtime.golden.counts() == ["BRICK": 1, "ROBIN": 1, "ALFRED": 1])
            let alfredExample = try #require(try runtime.golden.examples(of: "ALFRED").first?.messages.arrayValue)
            #expect(alfredExample.last?["content"] == "Cache the image in memory and log every change.")
            // Scored again on demand: kept beside the first scoring.
            #expect(try await runtime.oracle.score(run: run.id).overall == 4.5)
            #expect(try await runtime.runner.scores(run.id).count == 2)
            // The interaction is kept in the scrapbook.
            #expect(try await runtime.scrapbook.stats().memoryCount == 2)
            // What each persona was sent is kept with the run, in the image.
            try await waitUntil("the run's prompts to be kept") {
                Set(try runtime.prompts.prompts(of: run.id).map(\.persona)).isSuperset(of: ["BRICK", "ROBIN", "ALFRED"])
            }
            let kept = try runtime.prompts.prompts(of: run.id)
            #expect(kept.allSatisfy { $0.messages.first?.role == .system && $0.messages.last?.role == .user })
            #expect(kept.first { $0.persona == "BRICK" }?.messages.last?.content.contains("How should the image stay fast?") == true)
        }
    }

    @Test func personasThatNeverAgreeRaiseCognitiveDissonance() async throws {
        let script = Self.script(robinAgrees: false, robinAnswer: "no: people matter more than speed", viability: 0.0)
        try await withRuntime(script) { runtime, server in
            let events = runtime.image.events.subscribe()
            let (run, state) = try await deliberate(runtime, "Should we drop the change log?", maxTurns: 3)
            #expect(run.status == .done)
            #expect(state["turn"] == 3)
            #expect((state["dissonance"]?.doubleValue ?? 0) >= 0.8)
            #expect(state["dialogue"]?.arrayValue?.count == 6)
            // BRICK's third turn answered ROBIN, continuing his own conversation: each request
            // extends the one before it (system prompt first), so a prompt cache serves the rest.
            let brickRequests = try await chatRequests(server).filter { $0["model"] == "phi3:mini-4k-instruct" }
                .compactMap { $0["messages"]?.arrayValue }
            #expect(brickRequests.count == 3)
            #expect(brickRequests[2].last?["content"]?.stringValue?.contains("ROBIN answered: no: people matter more than speed") == true)
            #expect(brickRequests.map(\.count) == [2, 4, 6])
            #expect(brickRequests.allSatisfy { $0.first?["role"] == "system" })
            for turn in 1..<brickRequests.count {
                #expect(Array(brickRequests[turn].prefix(brickRequests[turn - 1].count)) == brickRequests[turn - 1])
            }
            let read = await readEvents(events, "a cognitive_dissonance event") { event in
                if case .emitted(_, "cognitive_dissonance", _) = event { return true }
                return false
            }
            var dissonance: JSONValue?
            if case .emitted(_, "cognitive_dissonance", let payload)? = read.last { dissonance = payload }
            #expect(dissonance?["task"] == "Should we drop the change log?")
            #expect(dissonance?["robin"] == "no: people matter more than speed")
            #expect((dissonance?["score"]?.doubleValue ?? 0) >= 0.8)
        }
    }

    @Test func aMalformedAnswerIsAskedForAgainAndTheRunRecovers() async throws {
        let script = Self.script(robinAgrees: true, robinAnswer: "fine", viability: 0.9,
                                 brickReplies: ["I think we should cache things (not JSON, sorry)", Self.thoughts])
        try await withRuntime(script) { runtime, server in
            let (run, state) = try await deliberate(runtime, "How should the image stay fast?")
            #expect(run.status == .done, "\(run.error ?? "")")
            #expect(state["thoughts"]?.arrayValue?.count == 3)
            let brickCalls = try await chatRequests(server).filter { $0["model"] == "phi3:mini-4k-instruct" }
            #expect(brickCalls.count == 2)
        }
    }

    @Test func aRunWhoseModelServerDiesFailsCleanlyAndResumesWhenItIsBack() async throws {
        // ROBIN's answer starts streaming, then stalls for longer than the test ever waits: the
        // server is stopped while he speaks, however slow the machine. The revived server answers
        // at once.
        let verdict = #"{"scores": [{"viability": 9, "alignment": 9}, {"viability": 2, "alignment": 5}, {"viability": 3, "alignment": 5}], "answer": "fine", "agree": true}"#
        func script(robinStalls: Bool) -> Script {
            Script(rules: [
                .init(model: "phi3:mini-4k-instruct", contains: "Propose three", json: JSONText(Self.thoughts)),
                .init(model: "llama3.1:8b-instruct", contains: "Evaluate each", json: JSONText(verdict),
                      tokenDelayMilliseconds: robinStalls ? 3_600_000 : nil, chunkCharacters: 4),
                .init(model: "gemma2:9b-instruct", contains: "Synthesize", reply: "Done."),
            ])
        }
        try await withRuntime(script(robinStalls: true)) { runtime, server in
            let port = try #require(server.url.flatMap { URL(string: $0)?.port })
            let events = runtime.image.events.subscribe()
            let deliberation = Task {
                try await runtime.runner.start(graph: "ALFRED.deliberation", state: ["task": "Survive a crash", "max_turns": 2])
            }
            // ROBIN's first token arrived: his answer is now stalled mid-stream.
            _ = await readEvents(events, "ROBIN started to answer") { event in
                if case .modelToken(let persona, _, _) = event, persona.lowercased() == "robin" { return true }
                return false
            }
            await server.stop()
            let failed = try await deliberation.value
            #expect(failed.status == .failed)
            #expect(failed.next == "evaluate")
            #expect(failed.error?.contains("ROBIN>>evaluateThoughts") == true)

            // The old listener may take a moment to let go of the port: retry until it is free.
            let revived = ScriptedModelServer(script: script(robinStalls: false))
            var lastError: (any Error)?
            let listening = await waitUntil("the model server listens on port \(port) again: \(String(describing: lastError))") {
                do {
                    try await revived.start(port: port)
                    return true
                } catch {
                    lastError = error
                    return false
                }
            }
            guard listening else { return }
            let resumed = try await runtime.runner.resume(failed.id)
            #expect(resumed.status == .done, "\(resumed.error ?? "")")
            #expect(try await chatRequests(revived).filter { $0["model"] == "phi3:mini-4k-instruct" }.isEmpty)
            #expect(try await runtime.runner.history(resumed.id).last?.state["answer"] == "Done.")
            await revived.stop()
        }
    }
}
