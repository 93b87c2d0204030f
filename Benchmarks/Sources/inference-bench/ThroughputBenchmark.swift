import AsyncHTTPClient
import Inference
import NIOCore
import ScriptedModelServer

/// Part (b): chunks per second the client parses from the scripted server with zero delay.
struct ThroughputBenchmark {
    struct Row {
        var name: String
        var chunks: Int
        var seconds: Double
        var rate: Double { Double(chunks) / seconds }
    }

    let tokens: Int
    let runs: Int

    func run() async throws -> [Row] {
        // One character per chunk, like a fast model's tokens; the final chunk is counted too.
        let reply = String(repeating: "abcdefghij", count: tokens / 10)
        let script = Script(rules: [.init(reply: reply, chunkCharacters: 1)])
        let server = ScriptedModelServer(script: script)
        let url = try await server.start()
        let client = BackendFactory.makeHTTPClient()
        var rows: [Row] = []
        do {
            let ollama = OllamaBackend(baseURL: url, httpClient: client)
            let openAI = OpenAICompatibleBackend(baseURL: url, httpClient: client)
            let request = ChatRequest(model: "phi3:mini-4k-instruct", messages: [.user("stream please")])
            _ = try await ollama.chat(request)  // load the model and warm up
            rows.append(try await best("Ollama /api/chat NDJSON (backend)") { try await count(ollama.chatStream(request)) })
            rows.append(try await best("OpenAI /v1/chat/completions SSE (backend)") { try await count(openAI.chatStream(request)) })
            let manager = ModelManager(backend: ollama, policy: .budget, vramGB: 8)
            rows.append(try await best("ModelManager.think (events + deltas)") {
                let result = try await manager.think(PersonaBinding(persona: "brick"), prompt: "stream please")
                return result.usage?.completionTokens ?? 0
            })
            try await client.shutdown()
            await server.stop()
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
        rows.append(parseOnly())
        return rows
    }

    private func count(_ stream: AsyncThrowingStream<ChatChunk, any Error>) async throws -> Int {
        var chunks = 0
        for try await _ in stream { chunks += 1 }
        return chunks
    }

    private func best(_ name: String, _ body: () async throws -> Int) async throws -> Row {
        var fastest = Row(name: name, chunks: 0, seconds: .infinity)
        for _ in 0..<runs {
            let start = ContinuousClock.now
            let chunks = try await body()
            let seconds = (ContinuousClock.now - start).milliseconds / 1000
            if Double(chunks) / seconds > (fastest.chunks == 0 ? 0 : fastest.rate) { fastest = Row(name: name, chunks: chunks, seconds: seconds) }
        }
        return fastest
    }

    /// The parser alone, over NDJSON already in memory: the ceiling without the network.
    private func parseOnly() -> Row {
        var text = ""
        for _ in 0..<tokens {
            text += #"{"model":"phi3:mini-4k-instruct","created_at":"2026-01-01T00:00:00.000Z","message":{"role":"assistant","content":"a"},"done":false}"# + "\n"
        }
        let buffer = ByteBuffer(string: text)
        let start = ContinuousClock.now
        let chunks = InferenceParsingProbe.countChatChunks(in: buffer)
        let seconds = (ContinuousClock.now - start).milliseconds / 1000
        return Row(name: "parser only, NDJSON in memory", chunks: chunks, seconds: seconds)
    }
}
