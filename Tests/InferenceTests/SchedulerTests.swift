import Foundation
import Inference
import ScriptedModelServer
import Synchronization
import Testing
import TestWaiting

@Suite("ModelManager: the VRAM scheduler")
struct SchedulerTests {
    static let deliberation = ["babs", "brick", "robin", "brick", "robin", "brick", "alfred"]
    static let gb: Int64 = 1_000_000_000

    func run(_ sequence: [String], policy: SchedulingPolicy, server: ScriptedModelServer, url: String, client: HTTPClientBox) async throws -> ModelMetrics {
        let manager = ModelManager(backend: OllamaBackend(baseURL: url, httpClient: client.client, retry: quickRetry), policy: policy, vramGB: 8)
        for persona in sequence {
            _ = try await manager.think(PersonaBinding(persona: persona), prompt: "step for \(persona)")
        }
        return await manager.metrics()
    }

    @Test func budgetPolicyMatchesTheOptimumAndNeverExceedsTheBudget() async throws {
        try await withScriptedServer { server, url, client in
            let metrics = try await run(Self.deliberation, policy: .budget, server: server, url: url, client: HTTPClientBox(client: client))
            #expect(metrics.loads == 4)
            #expect(metrics.evictions == 2)
            #expect(metrics.calls == 7)
            #expect(metrics.peakResidentBytes <= 8 * Self.gb)
            let stats = await server.stats()
            #expect(stats.loads == 4)
            #expect(stats.peakResidentBytes <= 8 * Self.gb)
            #expect(stats.loadOrder == ["mistral:7b-instruct", "phi3:mini-4k-instruct", "llama3.1:8b-instruct", "gemma2:9b-instruct"])
            #expect(Set(stats.resident) == ["phi3:mini-4k-instruct", "gemma2:9b-instruct"])
            // Evictions are explicit unloads sent before the next load.
            let unloads = await server.requests().filter { request in
                request.path == "/api/chat" && (try? jsonBody(request))?["keep_alive"] == 0 && (try? jsonBody(request))?["messages"] == []
            }
            #expect(unloads.count == 2)
        }
    }

    @Test func evictsTheLeastRecentlyUsedModel() async throws {
        let models: [Script.Model] = ["x:3b", "y:3b", "z:3b"].map { Script.Model(name: $0, sizeGB: 3) }
        try await withScriptedServer(Script(models: models)) { server, url, client in
            var names = ModelNames()
            (names.babs, names.brick, names.robin) = ("x:3b", "y:3b", "z:3b")
            let manager = ModelManager(backend: OllamaBackend(baseURL: url, httpClient: client), models: names, policy: .budget, vramGB: 8)
            for persona in ["babs", "brick", "babs", "robin", "babs"] {
                _ = try await manager.think(PersonaBinding(persona: persona), prompt: "go")
            }
            // At ROBIN's call only one 3 GB model must go: BRICK's, used longest ago; BABS stays for its next call.
            let metrics = await manager.metrics()
            #expect(metrics.loads == 3)
            #expect(metrics.perModel["y:3b"]?.unloads == 1)
            #expect(metrics.perModel["x:3b"]?.unloads ?? 0 == 0)
            #expect(await server.stats().resident == ["x:3b", "z:3b"])
        }
    }

    @Test func sequentialPolicyLoadsForEveryCall() async throws {
        try await withScriptedServer { server, url, client in
            let metrics = try await run(Self.deliberation, policy: .sequential, server: server, url: url, client: HTTPClientBox(client: client))
            #expect(metrics.loads == 7)
            #expect(metrics.unloads == 7)
            let stats = await server.stats()
            #expect(stats.loads == 7)
            #expect(stats.resident.isEmpty)
            #expect(stats.peakResidentBytes <= 55 * Self.gb / 10)
            let calls = await server.requests().filter { $0.path == "/api/chat" && (try? jsonBody($0))?["messages"]?.arrayValue?.isEmpty == false }
            #expect(calls.allSatisfy { (try? jsonBody($0))?["keep_alive"] == 0 })
        }
    }

    @Test func concurrentCallsNeverExceedTheBudget() async throws {
        try await withScriptedServer(Script(rules: [.init(reply: "a b c d", tokenDelayMilliseconds: 5)])) { server, url, client in
            let manager = ModelManager(backend: OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry), policy: .budget, vramGB: 8)
            let events = manager.events()
            let watcher = Task {
                var resident: [String: Int64] = [:]
                var peak: Int64 = 0
                for await event in events {
                    switch event {
                    case .loading(let model, _, let bytes): resident[model] = bytes
                    case .loaded(let model, _, let bytes, _): resident[model] = bytes
                    case .unloaded(let model, _, _): resident[model] = nil
                    default: break
                    }
                    peak = max(peak, resident.values.reduce(0, +))
                }
                return peak
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for round in 0..<3 {
                    for persona in ["babs", "brick", "robin", "alfred"] {
                        group.addTask { _ = try await manager.think(PersonaBinding(persona: persona), prompt: "round \(round)") }
                    }
                }
                try await group.waitForAll()
            }
            manager.finishEvents()
            let peakFromEvents = await watcher.value
            #expect(peakFromEvents <= 8 * Self.gb)
            #expect(await server.stats().peakResidentBytes <= 8 * Self.gb)
            #expect(await manager.metrics().calls == 12)
        }
    }

    @Test func adoptsModelsAlreadyResidentAndForgetsExpiredOnes() async throws {
        try await withScriptedServer { server, url, client in
            let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
            // Someone else loaded ALFRED's model (5.5 GB) before we started.
            _ = try await backend.load(model: "gemma2:9b-instruct", keepAlive: .forever)
            let manager = ModelManager(backend: backend, policy: .budget, vramGB: 8)
            _ = try await manager.think(PersonaBinding(persona: "robin"), prompt: "hello")  // 5.0 GB: must evict gemma first
            let stats = await server.stats()
            #expect(stats.resident == ["llama3.1:8b-instruct"])
            #expect(stats.peakResidentBytes <= 8 * Self.gb)
            // The server drops the model on its own; the manager notices on the next decision.
            try await backend.unload(model: "llama3.1:8b-instruct")
            _ = try await manager.think(PersonaBinding(persona: "alfred"), prompt: "hello")
            let metrics = await manager.metrics()
            #expect(metrics.loads == 2)
            #expect(metrics.resident.values.flatMap { $0 } == ["gemma2:9b-instruct"])
        }
    }

    @Test func eventsCarryLoadsDeltasAndUsage() async throws {
        try await withScriptedServer(Script(rules: [.init(reply: "I reason, therefore I am.")])) { _, url, client in
            let manager = ModelManager(backend: OllamaBackend(baseURL: url, httpClient: client), policy: .budget, vramGB: 8)
            let events = manager.events()
            let collector = Task { () -> [ModelEvent] in
                var seen: [ModelEvent] = []
                for await event in events { seen.append(event) }
                return seen
            }
            let result = try await manager.think(PersonaBinding(persona: "brick", systemPrompt: "You are BRICK."), prompt: "Think.", runID: "run-1")
            manager.finishEvents()
            let seen = await collector.value
            #expect(result.text == "I reason, therefore I am.")
            #expect(seen.contains { if case .loaded(let model, _, let bytes, _) = $0 { model == phi && bytes == 2_500_000_000 } else { false } })
            let deltas = seen.compactMap { if case .delta(let d) = $0 { d } else { nil } }
            #expect(deltas.map(\.text).joined() == result.text)
            #expect(deltas.allSatisfy { $0.persona == "brick" && $0.runID == "run-1" })
            #expect(seen.contains { if case .callFinished(_, "run-1", _, let usage) = $0 { usage?.completionTokens == 5 } else { false } })
            let metrics = await manager.metrics()
            #expect(metrics.completionTokens == 5)
            #expect(metrics.perModel[phi]?.loads == 1)
            #expect(metrics.totalLoadTime > .zero)
        }
    }
}

/// Lets a non-Sendable-looking closure parameter carry the client (HTTPClient is Sendable; this keeps signatures short).
struct HTTPClientBox: Sendable {
    let client: HTTPClient
}

import AsyncHTTPClient

extension SchedulerTests {
    /// A model larger than the whole budget runs alone, over budget (and says so); idle models
    /// resident beside it are unloaded first instead of being waited on forever.
    @Test func aModelLargerThanTheBudgetRunsAloneAfterTheIdleOnesGo() async throws {
        let models = [Script.Model(name: "small:3b", sizeGB: 3), Script.Model(name: "huge:70b", sizeGB: 40)]
        try await withScriptedServer(Script(models: models)) { server, url, client in
            var names = ModelNames()
            (names.babs, names.brick) = ("small:3b", "huge:70b")
            let manager = ModelManager(backend: OllamaBackend(baseURL: url, httpClient: client), models: names, policy: .budget, vramGB: 8)
            let events = manager.events()
            _ = try await manager.think(PersonaBinding(persona: "babs"), prompt: "go")
            #expect(await server.stats().resident == ["small:3b"])
            let answer = try await manager.think(PersonaBinding(persona: "brick"), prompt: "go")
            #expect(!answer.text.isEmpty)
            #expect(await server.stats().resident == ["huge:70b"])
            let metrics = await manager.metrics()
            #expect(metrics.perModel["small:3b"]?.unloads == 1)
            let said = await readEvents(events, "the over-budget event") { event in
                if case .overBudget(let model, _, _, _) = event { return model == "huge:70b" }
                return false
            }
            #expect(!said.isEmpty)
        }
    }
}
