import Foundation
import Inference
import ScriptedModelServer
import Testing

@Suite("doctor and pull")
struct DoctorTests {
    @Test func reportsUnreachableBackendsMissingModelsAndBudget() async throws {
        var models = Script.personaModels.filter { $0.name != "gemma2:9b-instruct" }
        models.append(.init(name: "gemma2:9b-instruct", sizeGB: 5.5, pulled: false))
        models.append(.init(name: "big:70b", sizeGB: 40))
        try await withScriptedServer(Script(models: models)) { _, url, client in
            let dead = ScriptedModelServer()
            let deadURL = try await dead.start()
            await dead.stop()
            let config = try A4PSConfig.parse("""
                [models]
                babs = "big:70b"

                [backends.ollama]
                host = "\(url)"

                [backends.remote]
                kind = "openai"
                host = "\(deadURL)"

                [personas.robin]
                backend = "remote"
                """, path: "test.toml", environment: [:])
            let report = await Doctor(config: config, httpClient: client).run()
            #expect(report.backends.count == 2)
            #expect(report.backends.first { $0.name == "ollama" }?.version == ScriptedModelServer.version)
            #expect(report.backends.first { $0.name == "remote" }?.isReachable == false)
            #expect(report.models.first { $0.role == "alfred" }?.status == .missing)
            #expect(report.models.first { $0.role == "robin" }?.status == .unknown)
            #expect(report.models.first { $0.role == "brick" }?.status == .available(sizeBytes: 2_500_000_000))
            #expect(report.budgets.first?.tooLarge == ["big:70b"])
            #expect(!report.isHealthy)
            let text = report.rendered()
            #expect(text.contains("`ollama pull gemma2:9b-instruct`"))
            #expect(text.contains("OpenAI-compatible server is not reachable at \(deadURL)"))
            #expect(text.contains("big:70b needs 40.0 GB"))
        }
    }

    @Test func healthySetupHasNothingToDo() async throws {
        try await withScriptedServer { _, url, client in
            let config = try A4PSConfig.parse("[scheduler]\nvram_gb = 24\n", environment: ["OLLAMA_HOST": url])
            let report = await Doctor(config: config, httpClient: client).run()
            #expect(report.isHealthy, "\(report.rendered())")
            #expect(report.budgets.first?.allFit == true)
            #expect(report.rendered().contains("All good."))
        }
    }

    @Test func pullAllReportsProgressPerModel() async throws {
        var models = Script.personaModels.map { model -> Script.Model in
            var copy = model
            copy.pulled = false
            return copy
        }
        models.removeAll { $0.name == "nomic-embed-text" }
        try await withScriptedServer(Script(models: models)) { _, url, client in
            let config = try A4PSConfig.parse("", environment: ["OLLAMA_HOST": url])
            var finished: [String] = []
            var failed: [String] = []
            var progress: [String: Double] = [:]
            for try await event in ModelPuller(config: config, httpClient: client).pullAll() {
                switch event.phase {
                case .progress(let p): if let fraction = p.fraction { progress[event.model] = fraction }
                case .finished: finished.append(event.model)
                case .failed: failed.append(event.model)
                default: break
                }
            }
            #expect(finished == ["mistral:7b-instruct", "phi3:mini-4k-instruct", "llama3.1:8b-instruct", "gemma2:9b-instruct"])
            #expect(failed == ["nomic-embed-text"])
            #expect(progress.values.allSatisfy { $0 == 1 })
            let report = await Doctor(config: config, httpClient: client).run()
            #expect(report.models.filter { $0.status == .missing }.map(\.model) == ["nomic-embed-text"])
        }
    }
}
