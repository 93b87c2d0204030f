import Foundation
import Inference
import ScriptedModelServer
import Testing

@Suite("Many model calls at once never wait on the HTTP client's pool")
struct ConnectionPoolTests {
    /// AsyncHTTPClient bounds the wait for a pooled connection by the connect timeout: with its
    /// default of 8 connections per server, the 9th of many long streamed calls failed as "not
    /// reachable" after the connect timeout although the server answered (a flake on a busy CI).
    @Test func callsBeyondTheOldPoolLimitAllSucceed() async throws {
        // Each call streams for ~3 s, three times the connect timeout.
        let script = Script(rules: [.init(reply: "a b c d e f", tokenDelayMilliseconds: 500)])
        let server = ScriptedModelServer(script: script)
        let url = try await server.start()
        let client = BackendFactory.makeHTTPClient(connectTimeoutSeconds: 1)
        let backend = OllamaBackend(baseURL: url, httpClient: client, retry: .none)
        let calls = 3 * 8
        do {
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<calls {
                    group.addTask { try await collectText(backend.chatStream(ChatRequest(model: phi, messages: [.user("call \(index)")]))).text }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(answers.count == calls)
            #expect(answers.allSatisfy { !$0.isEmpty })
        } catch {
            Issue.record("a concurrent call failed: \(error)")
        }
        try await client.shutdown()
        await server.stop()
    }
}

@Suite("The scripted server's simulated load, shared by concurrent first requests")
struct ScriptedConcurrentLoadTests {
    /// Requests that arrive while their model loads wait for that one load. A waiter resumed
    /// before the loading request once re-awaited the finished load forever, recursing on the
    /// server's actor until the process ran out of memory (6 GB in seconds with two streams).
    @Test func concurrentFirstRequestsShareOneLoad() async throws {
        let model = Script.Model(name: "slow-load", sizeGB: 1, loadMilliseconds: 300)
        let script = Script(models: [model], rules: [.init(reply: "one two three", tokenDelayMilliseconds: 50)])
        try await withScriptedServer(script) { server, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client, retry: .none)
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<8 {
                    group.addTask { try await collectText(backend.chatStream(ChatRequest(model: "slow-load", messages: [.user("call \(index)")]))).text }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(answers == Array(repeating: "one two three", count: 8))
            let stats = await server.stats()
            #expect(stats.loads == 1)
            #expect(stats.resident == ["slow-load"])
        }
    }
}
