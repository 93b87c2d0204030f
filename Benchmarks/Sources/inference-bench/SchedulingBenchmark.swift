import AsyncHTTPClient
import Inference
import ScriptedModelServer

/// Part (a): model loads per call sequence under `sequential`, `budget` (LRU) and the offline optimum.
struct SchedulingBenchmark {
    struct Row {
        var name: String
        var calls: Int
        var sequential: Int
        var budget: Int
        var plainLRU: Int
        var belady: Int
        var optimum: Int
        var serverLoadsBudget: Int
        var peakGB: Double
        var budgetMillis: Double
    }

    static let gb: Int64 = 1_000_000_000
    static let roleModels: [String: String] = [
        "babs": "mistral:7b-instruct", "brick": "phi3:mini-4k-instruct", "robin": "llama3.1:8b-instruct",
        "alfred": "gemma2:9b-instruct", "embedding": "nomic-embed-text",
    ]

    static let sequences: [(String, [String])] = [
        ("deliberation (issue)", ["babs", "brick", "robin", "brick", "robin", "brick", "alfred"]),
        ("two deliberations", Array(repeating: ["babs", "brick", "robin", "brick", "robin", "brick", "alfred"], count: 2).flatMap { $0 }),
        ("research each turn", ["babs", "brick", "robin", "babs", "brick", "robin", "babs", "brick", "robin", "alfred"]),
        ("ALFRED supervises", ["alfred", "brick", "alfred", "robin", "alfred", "babs", "alfred"]),
        ("cycle R-B-A x3 (LRU worst)", Array(repeating: ["robin", "brick", "alfred"], count: 3).flatMap { $0 }),
        ("deliberation + memory", ["embedding", "babs", "brick", "robin", "brick", "robin", "brick", "alfred", "embedding"]),
    ]

    let budgetGB = 8.0

    func run() async throws -> [Row] {
        var rows: [Row] = []
        let sizes = Dictionary(uniqueKeysWithValues: Script.personaModels.map { ($0.name, Int64(($0.sizeGB * 1e9).rounded())) })
        for (name, roles) in Self.sequences {
            let models = roles.map { Self.roleModels[$0]! }
            let budgetBytes = Int64(budgetGB * 1e9)
            var row = Row(
                name: name, calls: roles.count, sequential: 0, budget: 0,
                plainLRU: ResidencySimulation.lruLoads(models, sizes: sizes, budget: budgetBytes),
                belady: ResidencySimulation.beladyLoads(models, sizes: sizes, budget: budgetBytes),
                optimum: ResidencySimulation.optimalLoads(models, sizes: sizes, budget: budgetBytes),
                serverLoadsBudget: 0, peakGB: 0, budgetMillis: 0)
            for policy in [SchedulingPolicy.sequential, .budget] {
                let (loads, stats, elapsed) = try await measure(roles, policy: policy)
                switch policy {
                case .sequential:
                    row.sequential = loads
                case .budget:
                    row.budget = loads
                    row.serverLoadsBudget = stats.loads
                    row.peakGB = Double(stats.peakResidentBytes) / 1e9
                    row.budgetMillis = elapsed
                }
                precondition(stats.peakResidentBytes <= budgetBytes, "resident models exceeded the budget on the server")
            }
            rows.append(row)
        }
        return rows
    }

    /// Runs the sequence through a ModelManager against a fresh scripted server.
    private func measure(_ roles: [String], policy: SchedulingPolicy) async throws -> (Int, ScriptedServerStats, Double) {
        let server = ScriptedModelServer(script: Script(rules: [.init(reply: "A short scripted thought.")]))
        let url = try await server.start()
        let client = BackendFactory.makeHTTPClient()
        do {
            let manager = ModelManager(backend: OllamaBackend(baseURL: url, httpClient: client), policy: policy, vramGB: budgetGB)
            let start = ContinuousClock.now
            for role in roles {
                if role == "embedding" {
                    _ = try await manager.embed(["what do we remember about this task?"])
                } else {
                    _ = try await manager.think(PersonaBinding(persona: role), prompt: "Your turn, \(role).")
                }
            }
            let elapsed = (ContinuousClock.now - start).milliseconds
            let loads = await manager.metrics().loads
            let stats = await server.stats()
            try await client.shutdown()
            await server.stop()
            return (loads, stats, elapsed)
        } catch {
            try? await client.shutdown()
            await server.stop()
            throw error
        }
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
