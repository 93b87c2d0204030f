import Foundation
import Inference
import ScriptedModelServer
import Testing

@Suite("Ollama backend against the scripted server")
struct OllamaBackendTests {
    let script = Script(rules: [
        .init(model: phi, contains: "capital of France", reply: "The capital of France is Paris."),
        .init(contains: "structured", json: JSONText(#"{"answer":42}"#)),
    ])

    @Test func streamsAnswerAndSendsOptions() async throws {
        try await withScriptedServer(script) { server, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client)
            let request = ChatRequest(
                model: phi, messages: [.system("Be brief."), .user("What is the capital of France?")],
                options: GenerationOptions(temperature: 0.2, topK: 20, contextLength: 2048, maxTokens: 64, seed: 7, stop: ["\n\n"]),
                format: .schema(["type": "object"]), keepAlive: .duration(seconds: 60))
            let (text, chunks) = try await collectText(backend.chatStream(request))
            #expect(text == "The capital of France is Paris.")
            #expect(chunks.count == 7)  // six words and the final chunk
            let last = try #require(chunks.last)
            #expect(last.done && last.doneReason == "stop")
            #expect(last.usage?.completionTokens == 6)
            #expect(last.usage?.promptTokens == 8)

            let sent = try #require(await server.requests().last)
            #expect(sent.path == "/api/chat")
            let body = try jsonBody(sent)
            #expect(body["stream"] == true)
            #expect(body["keep_alive"] == 60)
            #expect(body["format"] == ["type": "object"])
            #expect(body["options"] == ["temperature": 0.2, "top_k": 20, "num_ctx": 2048, "num_predict": 64, "seed": 7, "stop": ["\n\n"]])
            #expect(body["messages"]?[0] == ["role": "system", "content": "Be brief."])
        }
    }

    @Test func nonStreamingChat() async throws {
        try await withScriptedServer(script) { server, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client)
            let response = try await backend.chat(ChatRequest(model: phi, messages: [.user("give me structured data")]))
            #expect(response.content == #"{"answer":42}"#)
            #expect(response.doneReason == "stop")
            #expect(try jsonBody(#require(await server.requests().last))["stream"] == false)
        }
    }

    @Test func embeddingsAreBatchedDeterministicAndNormalised() async throws {
        try await withScriptedServer { server, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client)
            let texts = ["the cat sat", "the cat sat", "quantum chromodynamics"]
            let vectors = try await backend.embed(model: "nomic-embed-text", inputs: texts, keepAlive: nil)
            #expect(vectors.count == 3)
            #expect(vectors[0].count == 768)
            #expect(vectors[0] == vectors[1])
            #expect(vectors[0] != vectors[2])
            let norm = vectors[2].reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-4)
            let requests = await server.requests()
            #expect(requests.count == 1)
            #expect(try jsonBody(requests[0])["input"]?.arrayValue?.count == 3)
        }
    }

    @Test func residentSetFollowsKeepAlive() async throws {
        try await withScriptedServer { server, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client)
            #expect(try await backend.runningModels().isEmpty)

            // Load with the default keep-alive: resident, expiring in about five minutes.
            let report = try await backend.load(model: phi, keepAlive: .duration(seconds: 300))
            #expect(report.serverLoadDuration != nil)
            var running = try await backend.runningModels()
            #expect(running.map(\.name) == [phi])
            #expect(running.first?.sizeVRAMBytes == 2_500_000_000)

            // A call with keep_alive 0 unloads after answering.
            _ = try await collectText(backend.chatStream(ChatRequest(model: phi, messages: [.user("hi")], keepAlive: .unloadImmediately)))
            #expect(try await backend.runningModels().isEmpty)

            // Negative keep-alive: resident until unloaded explicitly.
            _ = try await backend.load(model: "gemma2:9b-instruct", keepAlive: .forever)
            running = try await backend.runningModels()
            #expect(running.map(\.name) == ["gemma2:9b-instruct"])
            #expect(running.first?.expiresAt?.hasPrefix("2318") == true)
            try await backend.unload(model: "gemma2:9b-instruct")
            #expect(try await backend.runningModels().isEmpty)

            let stats = await server.stats()
            #expect(stats.loads == 2)
            #expect(stats.unloads == 2)
        }
    }

    @Test func tagsVersionAndPull() async throws {
        var models = Script.personaModels
        models.append(.init(name: "qwen2:0.5b", sizeGB: 0.4, pulled: false))
        try await withScriptedServer(Script(models: models)) { _, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client)
            #expect(try await backend.version().contains("scripted"))
            #expect(try await !backend.listModels().map(\.name).contains("qwen2:0.5b"))
            #expect(try await backend.listModels().first { $0.name == phi }?.sizeBytes == 2_500_000_000)

            var statuses: [PullProgress] = []
            for try await progress in backend.pull(model: "qwen2:0.5b") { statuses.append(progress) }
            #expect(statuses.first?.status == "pulling manifest")
            #expect(statuses.last?.isSuccess == true)
            #expect(statuses.contains { $0.fraction == 1 })
            #expect(try await backend.listModels().map(\.name).contains("qwen2:0.5b"))

            let unknownPull = await inferenceError { for try await _ in backend.pull(model: "no-such-model") {} }
            #expect(unknownPull?.code == .streamError)
            #expect(unknownPull?.message.contains("file does not exist") == true)
        }
    }

    @Test func everyAnswerIsLabelledScripted() async throws {
        try await withScriptedServer { _, url, client in
            let response = try await client.execute(.init(url: url + "/api/tags"), timeout: .seconds(60))
            #expect(response.headers.first(name: "X-A4PS-Scripted") == "true")
            let backend = OllamaBackend(baseURL: url, httpClient: client)
            let text = try await collectText(backend.chatStream(ChatRequest(model: phi, messages: [.user("anything")]))).text
            #expect(text.contains("scripted"))
        }
    }
}
