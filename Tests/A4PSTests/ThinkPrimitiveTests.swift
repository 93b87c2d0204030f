import A4PS
import Foundation
import LivingImage
import ScriptedModelServer
import Testing

/// `think`, `embed` and `memory.*` inside Lua methods, over real HTTP to the scripted server.
@Suite struct ThinkPrimitiveTests {
    @Test func thinkSpeaksWithThePersonasModelAndCodex() async throws {
        let script = Script(rules: [.init(model: "phi3:mini-4k-instruct", contains: "capital of France", reply: "Paris, obviously.")])
        try await withRuntime(script) { runtime, server in
            try await runtime.image.defineMethod("ask", on: "BRICK", source: "return think('What is the capital of France?')")
            #expect(try await runtime.image.send("BRICK", "ask") == "Paris, obviously.")
            let request = try #require(try await chatRequests(server).last)
            #expect(request["model"] == "phi3:mini-4k-instruct")
            let messages = try #require(request["messages"]?.arrayValue)
            #expect(messages.first?["role"] == "system")
            let codexPrompt = runtime.image.memory.proto(named: "BRICK")?.codex["system_prompt"]
            #expect(messages.first?["content"] == codexPrompt)
            #expect(messages.last?["content"] == "What is the capital of France?")
        }
    }

    @Test func aModelSlotRebindsThePersonaWhileRunning() async throws {
        try await withRuntime { runtime, server in
            try await runtime.image.defineMethod("ask", on: "ROBIN", source: "return think('hello')")
            _ = try await runtime.image.send("ROBIN", "ask")
            try await runtime.image.setSlot("model", of: "ROBIN", to: "mistral:7b-instruct")
            _ = try await runtime.image.send("ROBIN", "ask")
            let models = try await chatRequests(server).compactMap { $0["model"]?.stringValue }
            #expect(models.suffix(2) == ["llama3.1:8b-instruct", "mistral:7b-instruct"])
        }
    }

    @Test func aSchemaAnswerArrivesAsALuaTable() async throws {
        let script = Script(rules: [.init(contains: "score this", json: JSONText(#"{"viability": 0.75, "reason": "sound"}"#))])
        try await withRuntime(script) { runtime, _ in
            try await runtime.image.defineMethod("score", on: "ROBIN", source: """
                local r = think('score this thought', {schema = {type = 'object',
                  properties = {viability = {type = 'number', minimum = 0, maximum = 1}, reason = {type = 'string'}},
                  required = {'viability', 'reason'}}})
                return {doubled = r.viability * 2, reason = r.reason}
                """)
            #expect(try await runtime.image.send("ROBIN", "score") == ["doubled": 1.5, "reason": "sound"])
        }
    }

    @Test func memoryAddAndSearchFromAMethod() async throws {
        try await withRuntime { runtime, _ in
            try await runtime.image.defineMethod("learn", on: "BABS", source: """
                for _, fact in ipairs(args) do memory.add(fact, {source = 'babs_report'}) end
                return #args
                """)
            try await runtime.image.defineMethod("recall", on: "BABS", source: """
                local hits = memory.search(args.q, {mode = args.mode, limit = 2})
                local texts = json.array()
                for i, h in ipairs(hits) do texts[i] = h.text end
                return texts
                """)
            let facts: JSONValue = ["The Architect drinks green tea at dawn.", "Socks vanish in pairs.", "Lua tables start at one."]
            #expect(try await runtime.image.send("BABS", "learn", facts) == 3)
            let text = try await runtime.image.send("BABS", "recall", ["q": "green tea", "mode": "text"])
            #expect(text.arrayValue?.first == "The Architect drinks green tea at dawn.")
            let hybrid = try await runtime.image.send("BABS", "recall", ["q": "what does the Architect drink at dawn", "mode": "hybrid"])
            #expect(hybrid.arrayValue?.first == "The Architect drinks green tea at dawn.")
            let stats = try await runtime.scrapbook.stats()
            #expect(stats.memoryCount == 3)
            #expect(stats.embeddingModel == "nomic-embed-text")
        }
    }

    @Test func embedAnswersVectors() async throws {
        try await withRuntime { runtime, _ in
            try await runtime.image.defineMethod("dims", on: "BABS", source: "local v = embed({'a b', 'c'}) return {#v, #v[1]}")
            #expect(try await runtime.image.send("BABS", "dims") == [2, 768])
        }
    }

    @Test func withoutAModelServerTheSendFailsClearlyAndChangesNothing() async throws {
        try await withRuntime(serverUp: false) { runtime, _ in
            try await runtime.image.defineMethod("ask", on: "BRICK", source: "self:set('asked', true) return think('hi')")
            let before = runtime.image.memory.snapshot()
            do {
                _ = try await runtime.image.send("BRICK", "ask")
                Issue.record("think answered without a model server")
            } catch let error as ImageError {
                #expect(error.code == .methodFailed)
                #expect(error.description.contains("Ollama is not reachable"))
                #expect(error.description.contains("ollama serve"))
            }
            #expect(runtime.image.memory.snapshot() == before)
        }
    }
}
