import Foundation
import Inference
import ScriptedModelServer
import Testing

@Suite("Errors are typed, clear, and never replaced by made-up output")
struct ErrorTests {
    @Test func unreachableServerSaysHowToStartIt() async throws {
        // A port that was just free: start a server, note its URL, stop it.
        let server = ScriptedModelServer()
        let url = try await server.start()
        await server.stop()
        let client = BackendFactory.makeHTTPClient(connectTimeoutSeconds: 1)
        defer { _ = Task { try? await client.shutdown() } }
        let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
        let error = await inferenceError { _ = try await collectText(backend.chatStream(ChatRequest(model: phi, messages: [.user("hi")]))) }
        #expect(error?.code == .unreachable)
        #expect(error?.message.hasPrefix("Ollama is not reachable at \(url) — start it with `ollama serve`") == true)
        #expect(error?.message.contains("tried 4 times") == true)

        let plain = await inferenceError { _ = try await backend.version() }
        #expect(plain?.code == .unreachable)
        let openAI = OpenAICompatibleBackend(baseURL: url, httpClient: client, retry: .none)
        let other = await inferenceError { _ = try await openAI.listModels() }
        #expect(other?.message.contains("OpenAI-compatible server is not reachable at \(url)") == true)
        try await client.shutdown()
    }

    @Test func modelNotPulledNamesThePullCommand() async throws {
        try await withScriptedServer { _, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
            let error = await inferenceError { _ = try await collectText(backend.chatStream(ChatRequest(model: "llava:13b", messages: [.user("hi")]))) }
            #expect(error?.code == .modelNotFound)
            #expect(error?.status == 404)
            #expect(error?.message.contains("`ollama pull llava:13b`") == true)
            let embed = await inferenceError { _ = try await backend.embed(model: "mxbai-embed-large", inputs: ["x"], keepAlive: nil) }
            #expect(embed?.message.contains("`ollama pull mxbai-embed-large`") == true)
        }
    }

    @Test func errorLineMidStream() async throws {
        let script = Script(rules: [.init(reply: "alpha beta gamma delta", fault: .init(kind: .errorLine, afterTokens: 2, message: "llama runner process has terminated"))])
        try await withScriptedServer(script) { server, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
            var received = ""
            let error = await inferenceError {
                for try await chunk in backend.chatStream(ChatRequest(model: phi, messages: [.user("go")])) { received += chunk.content }
            }
            #expect(received == "alpha beta")
            #expect(error?.code == .streamError)
            #expect(error?.message.contains("llama runner process has terminated") == true)
            #expect(error?.chunksDelivered == 2)
            #expect(await server.requests().count == 1)
        }
    }

    @Test func malformedJSONLine() async throws {
        let script = Script(rules: [.init(reply: "one two three", fault: .init(kind: .malformedLine, afterTokens: 1))])
        try await withScriptedServer(script) { _, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
            let error = await inferenceError { _ = try await collectText(backend.chatStream(ChatRequest(model: phi, messages: [.user("go")]))) }
            #expect(error?.code == .malformedResponse)
            #expect(error?.rejectedText?.contains("deliberately not JSON") == true)
            #expect(error?.message.contains("not valid protocol JSON") == true)
        }
    }

    @Test func http500IsReportedWithTheServersMessage() async throws {
        let script = Script(rules: [.init(fault: .init(kind: .http500, message: "scripted: GPU fell off the bus"))])
        try await withScriptedServer(script) { server, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
            let error = await inferenceError { _ = try await collectText(backend.chatStream(ChatRequest(model: phi, messages: [.user("go")]))) }
            #expect(error?.code == .httpStatus)
            #expect(error?.status == 500)
            #expect(error?.message.contains("GPU fell off the bus") == true)
            #expect(await server.requests().count == 1)  // a 500 is not retried
        }
    }

    @Test func idleTimeoutBetweenTokens() async throws {
        // Tokens 20 s apart, an idle limit of 0.3 s: the call must fail after the first token and
        // before the second would have arrived — a bound set by the script, not by machine speed
        // (a busy 2-core machine was seen to take 11 s to deliver the timeout).
        let gap = Duration.seconds(20)
        let script = Script(rules: [.init(reply: "slow tokens here", fault: .init(kind: .slowTokens, delayMilliseconds: 20_000))])
        try await withScriptedServer(script) { _, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client, timeouts: RequestTimeouts(firstByte: .seconds(30), idle: .milliseconds(300)), retry: quickRetry)
            var firstToken: ContinuousClock.Instant?
            var received = ""
            let error = await inferenceError {
                for try await chunk in backend.chatStream(ChatRequest(model: phi, messages: [.user("go")])) {
                    received += chunk.content
                    if firstToken == nil, !chunk.content.isEmpty { firstToken = .now }
                }
            }
            #expect(error?.code == .timeout)
            #expect(error?.message.contains("idle_timeout_seconds") == true)
            #expect(received == "slow")
            // Counted from the first token: however late that came on a busy machine, the second
            // one is `gap` behind it.
            let first = try #require(firstToken)
            #expect(ContinuousClock.now - first < gap)
        }
    }

    @Test func firstTokenTimeout() async throws {
        let script = Script(rules: [.init(reply: "late", fault: .init(kind: .slowStart, delayMilliseconds: 1500))])
        try await withScriptedServer(script) { server, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client, timeouts: RequestTimeouts(firstByte: .milliseconds(300), idle: .seconds(5)), retry: quickRetry)
            let error = await inferenceError { _ = try await collectText(backend.chatStream(ChatRequest(model: phi, messages: [.user("go")]))) }
            #expect(error?.code == .timeout)
            #expect(error?.message.contains("first_token_timeout_seconds") == true)
            #expect(await server.requests().count == 1)  // a timeout is not retried
        }
    }

    @Test func connectionFailureBeforeFirstTokenIsRetried() async throws {
        let script = Script(rules: [.init(reply: "made it through", fault: .init(kind: .disconnect, afterTokens: 0, times: 2))])
        try await withScriptedServer(script) { server, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
            let (text, _) = try await collectText(backend.chatStream(ChatRequest(model: phi, messages: [.user("go")])))
            #expect(text == "made it through")
            #expect(await server.requests().count == 3)
        }
    }

    @Test func retriesGiveUpWithATypedError() async throws {
        let script = Script(rules: [.init(reply: "never", fault: .init(kind: .disconnect, afterTokens: 0))])
        try await withScriptedServer(script) { server, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client, retry: RetryPolicy(maxRetries: 2, baseDelay: .milliseconds(5)))
            let error = await inferenceError { _ = try await collectText(backend.chatStream(ChatRequest(model: phi, messages: [.user("go")]))) }
            #expect(error?.code == .interrupted)
            #expect(error?.chunksDelivered == 0)
            #expect(await server.requests().count == 3)
        }
    }

    @Test func noRetryAfterTokensWereDelivered() async throws {
        let script = Script(rules: [.init(reply: "one two three four five", fault: .init(kind: .disconnect, afterTokens: 3))])
        try await withScriptedServer(script) { server, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
            var received = ""
            let error = await inferenceError {
                for try await chunk in backend.chatStream(ChatRequest(model: phi, messages: [.user("go")])) { received += chunk.content }
            }
            #expect(received == "one two three")
            #expect(error?.code == .interrupted)
            #expect(error?.chunksDelivered == 3)
            #expect(error?.message.contains("not retried") == true)
            #expect(await server.requests().count == 1)
        }
    }
}
