import Foundation
import Inference
import ScriptedModelServer
import Testing

@Suite("think: persona calls with schemas, streaming and embeddings")
struct ThinkTests {
    static let schema: JSONValue = [
        "type": "object",
        "required": ["thoughts", "confidence"],
        "properties": ["thoughts": ["type": "array", "items": ["type": "string"]], "confidence": ["type": "number", "minimum": 0, "maximum": 1]],
    ]

    @Test func schemaAnswerIsRetriedOnceWithTheViolationsThenAccepted() async throws {
        let script = Script(rules: [
            .init(contains: "did not match", json: JSONText(#"{"thoughts":["a","b"],"confidence":0.7}"#)),
            .init(contains: "propose", json: JSONText(#"{"thoughts":["a"],"confidence":7}"#)),
        ])
        try await withScriptedServer(script) { server, url, client in
            let manager = ModelManager(backend: OllamaBackend(baseURL: url, httpClient: client))
            let result = try await manager.think(PersonaBinding(persona: "brick"), prompt: "propose thoughts", options: ThinkOptions(schema: Self.schema))
            #expect(result.attempts == 2)
            #expect(result.json?["confidence"] == 0.7)
            let chats = await server.requests().filter { $0.path == "/api/chat" && (try? jsonBody($0))?["messages"]?.arrayValue?.isEmpty == false }
            #expect(chats.count == 2)
            let retry = try jsonBody(chats[1])
            #expect(retry["format"] == Self.schema)
            let feedback = retry["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
            #expect(feedback.contains("$.confidence: 7 is greater than the maximum 1"))
            #expect(retry["messages"]?.arrayValue?.dropLast().last?["role"] == "assistant")
        }
    }

    @Test func schemaAnswerThatNeverValidatesIsATypedError() async throws {
        let script = Script(rules: [.init(reply: "I refuse to answer in JSON.")])
        try await withScriptedServer(script) { server, url, client in
            let manager = ModelManager(backend: OllamaBackend(baseURL: url, httpClient: client))
            let error = await inferenceError {
                _ = try await manager.think(PersonaBinding(persona: "robin"), prompt: "evaluate", options: ThinkOptions(schema: Self.schema))
            }
            #expect(error?.code == .schemaValidationFailed)
            #expect(error?.rejectedText == "I refuse to answer in JSON.")
            #expect(error?.message.contains("after 2 attempt(s)") == true)
            #expect(await server.requests().filter { $0.path == "/api/chat" && (try? jsonBody($0))?["messages"]?.arrayValue?.isEmpty == false }.count == 2)
        }
    }

    @Test func streamYieldsDeltasThenTheResult() async throws {
        let script = Script(models: Script.personaModels + [.init(name: "brick:v2", sizeGB: 2.6)], rules: [.init(model: "brick:v2", reply: "Adapter speaking.")])
        try await withScriptedServer(script) { _, url, client in
            let manager = ModelManager(backend: OllamaBackend(baseURL: url, httpClient: client))
            var pieces: [String] = []
            var finished: ThinkResult?
            let binding = PersonaBinding(persona: "brick", model: "brick:v2", systemPrompt: "You are BRICK.")
            for try await update in manager.stream(binding, messages: [.user("hi")], options: ThinkOptions(options: ["temperature": 0.1, "json": false])) {
                switch update {
                case .delta(let delta): pieces.append(delta.text)
                case .finished(let result): finished = result
                }
            }
            #expect(pieces == ["Adapter", " speaking."])
            #expect(finished?.model == "brick:v2")
            #expect(finished?.text == "Adapter speaking.")
        }
    }

    @Test func embedUsesTheEmbeddingModelInBatches() async throws {
        try await withScriptedServer { server, url, client in
            let manager = ModelManager(backend: OllamaBackend(baseURL: url, httpClient: client), embedBatchSize: 2)
            let vectors = try await manager.embed(["a", "b", "c", "a"])
            #expect(vectors.count == 4 && vectors[0] == vectors[3] && vectors[0] != vectors[1])
            let embeds = await server.requests().filter { $0.path == "/api/embed" }
            #expect(embeds.count == 2)
            #expect(embeds.allSatisfy { (try? jsonBody($0))?["model"] == "nomic-embed-text" })
        }
    }

    @Test func managerBuiltFromConfigRoutesPersonasToTheirBackends() async throws {
        try await withScriptedServer(Script(rules: [.init(contains: "who", reply: "scripted persona")])) { server, url, client in
            let config = try A4PSConfig.parse("""
                [backends.ollama]
                host = "\(url)"

                [backends.vllm]
                kind = "openai"
                host = "\(url)/v1"

                [personas.robin]
                backend = "vllm"
                """, environment: [:])
            let manager = try ModelManager(config: config, httpClient: client)
            _ = try await manager.think(PersonaBinding(persona: "robin"), prompt: "who are you")
            _ = try await manager.think(PersonaBinding(persona: "alfred"), prompt: "who are you")
            let paths = await server.requests().map(\.path)
            #expect(paths.contains("/v1/chat/completions"))
            #expect(paths.contains("/api/chat"))
            let metrics = await manager.metrics()
            #expect(metrics.loads == 1)  // only the Ollama model is scheduled
            let unknown = await inferenceError { _ = try await manager.think(PersonaBinding(persona: "critic"), prompt: "x") }
            #expect(unknown?.code == .unknownPersona)
        }
    }
}
