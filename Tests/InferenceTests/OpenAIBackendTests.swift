import Foundation
import Inference
import ScriptedModelServer
import Testing

@Suite("OpenAI-compatible backend against the scripted server")
struct OpenAIBackendTests {
    let script = Script(
        rules: [
            .init(contains: "haiku", reply: "Silent GPU fans\nwaiting for the next token\nautumn moon rises"),
            .init(contains: "explode", reply: "one two three four", fault: .init(kind: .errorLine, afterTokens: 2, message: "CUDA out of memory")),
        ],
        apiKey: "sekret")

    @Test func streamsSSEWithUsageAndSendsTheKey() async throws {
        try await withScriptedServer(script) { server, url, client in
            let backend = OpenAICompatibleBackend(baseURL: url + "/v1", apiKey: "sekret", httpClient: client)
            let request = ChatRequest(model: phi, messages: [.user("write a haiku")], options: GenerationOptions(temperature: 0.7, maxTokens: 50),
                                      format: .schema(["type": "string"]))
            let (text, chunks) = try await collectText(backend.chatStream(request))
            #expect(text == "Silent GPU fans\nwaiting for the next token\nautumn moon rises")
            #expect(chunks.last?.done == true)
            #expect(chunks.contains { $0.doneReason == "stop" })
            let usage = try #require(chunks.compactMap(\.usage).last)
            #expect(usage.completionTokens == 11)
            let sent = try #require(await server.requests().last)
            #expect(sent.path == "/v1/chat/completions")
            #expect(sent.headers["authorization"] == "Bearer sekret")
            let body = try jsonBody(sent)
            #expect(body["max_tokens"] == 50)
            #expect(body["stream_options"] == ["include_usage": true])
            #expect(body["response_format"]?["json_schema"]?["schema"] == ["type": "string"])

            let whole = try await backend.chat(request)
            #expect(whole.content == text)
        }
    }

    @Test func wrongKeyIsAnHTTPErrorNamingTheFix() async throws {
        try await withScriptedServer(script) { _, url, client in
            let backend = OpenAICompatibleBackend(baseURL: url, apiKey: "wrong", httpClient: client)
            let error = await inferenceError { _ = try await backend.listModels() }
            #expect(error?.status == 401)
            #expect(error?.message.contains("api_key") == true)
        }
    }

    @Test func errorEventMidStream() async throws {
        try await withScriptedServer(script) { _, url, client in
            let backend = OpenAICompatibleBackend(baseURL: url, apiKey: "sekret", httpClient: client)
            var received = ""
            let error = await inferenceError {
                for try await chunk in backend.chatStream(ChatRequest(model: phi, messages: [.user("explode now")])) { received += chunk.content }
            }
            #expect(received == "one two")
            #expect(error?.code == .streamError)
            #expect(error?.message.contains("CUDA out of memory") == true)
            #expect(error?.chunksDelivered == 2)
        }
    }

    @Test func embeddingsModelsAndLoRA() async throws {
        try await withScriptedServer(script) { server, url, client in
            let backend = OpenAICompatibleBackend(baseURL: url, apiKey: "sekret", httpClient: client)
            let vectors = try await backend.embed(model: "nomic-embed-text", inputs: ["alpha beta", "gamma"], keepAlive: nil)
            #expect(vectors.count == 2 && vectors[0].count == 768 && vectors[0] != vectors[1])

            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lora-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let answer = try await backend.loadLoRA(name: "brick-v2", path: directory.path)
            #expect(answer.contains("Success"))
            let models = try await backend.listModels()
            #expect(models.first { $0.name == "brick-v2" }?.parent != nil)
            let duplicate = await inferenceError { try await backend.loadLoRA(name: "brick-v2", path: directory.path) }
            #expect(duplicate?.status == 400)
            let text = try await collectText(backend.chatStream(ChatRequest(model: "brick-v2", messages: [.user("haiku please")]))).text
            #expect(text.hasPrefix("Silent"))
            try await backend.unloadLoRA(name: "brick-v2")
            #expect(try await !backend.listModels().map(\.name).contains("brick-v2"))
            let missing = await inferenceError { try await backend.loadLoRA(name: "x", path: "/no/such/dir") }
            #expect(missing?.status == 404)
            #expect(await server.requests().contains { $0.path == "/v1/unload_lora_adapter" })
        }
    }

    @Test func unknownModelNamesTheServer() async throws {
        try await withScriptedServer(script) { _, url, client in
            let backend = OpenAICompatibleBackend(baseURL: url, apiKey: "sekret", httpClient: client)
            let error = await inferenceError { _ = try await collectText(backend.chatStream(ChatRequest(model: "gpt-9", messages: [.user("hi")]))) }
            #expect(error?.code == .modelNotFound)
            #expect(error?.message.contains("vllm serve gpt-9") == true)
            let pull = await inferenceError { for try await _ in backend.pull(model: "x") {} }
            #expect(pull?.code == .unsupported)
        }
    }
}
