import Foundation
import Inference
import Testing

@Suite("config.toml")
struct ConfigTests {
    @Test func missingFileGivesDocumentedDefaults() throws {
        let config = try A4PSConfig.load(path: "/nonexistent/config.toml", environment: [:])
        #expect(config.models.babs == "mistral:7b-instruct")
        #expect(config.models.brick == "phi3:mini-4k-instruct")
        #expect(config.models.robin == "llama3.1:8b-instruct")
        #expect(config.models.alfred == "gemma2:9b-instruct")
        #expect(config.models.embedding == "nomic-embed-text")
        #expect(config.motivator.dissonanceThreshold == 0.8)
        #expect(config.motivator.curiosityIntervalSeconds == 3600)
        #expect(config.philosophical.proposalLifetimeDays == 7)
        #expect(config.scheduler.vramGB == 8)
        #expect(config.scheduler.policy == .budget)
        #expect(config.backends["ollama"]?.host == "http://127.0.0.1:11434")
        #expect(config.sourcePath == nil)
        let route = try config.route(for: "BRICK")
        #expect(route.model == "phi3:mini-4k-instruct")
        #expect(route.backend.kind == .ollama)
    }

    @Test func seedsFileAndOverridesAreRead() throws {
        let text = """
            [models]
            babs = "mistral:7b-instruct"
            brick = "phi3:mini-4k-instruct"
            robin = "llama3.1:8b"
            alfred = "gemma2:9b-instruct"
            embedding = "nomic-embed-text"

            [memory]
            db_path = "./lancedb"
            table_name = "a4ps_scrapbook"

            [motivator]
            dissonance_threshold = 0.65
            curiosity_interval_seconds = 600

            [philosophical]
            proposal_lifetime_days = 2.5

            [system]
            image_path = "./my.image"

            [scheduler]
            vram_gb = 12.5
            policy = "sequential"
            keep_alive = "10m"

            [inference]
            retries = 1
            idle_timeout_seconds = 30

            [backends.gpu]
            kind = "openai"
            host = "10.0.0.5:8000/v1"
            api_key_env = "GPU_KEY"

            [personas.robin]
            backend = "gpu"
            adapter = "robin-v2"

            [personas.alfred]
            host = "gpu-2"
            """
        let config = try A4PSConfig.parse(text, path: "config.toml", environment: ["GPU_KEY": "k123", "OLLAMA_HOST": "box:9999"])
        #expect(config.models.robin == "llama3.1:8b")
        #expect(config.memory.dbPath == "./lancedb")
        #expect(config.motivator.dissonanceThreshold == 0.65)
        #expect(config.motivator.curiosityIntervalSeconds == 600)
        #expect(config.philosophical.proposalLifetimeDays == 2.5)
        #expect(config.system.imagePath == "./my.image")
        #expect(config.scheduler.vramGB == 12.5)
        #expect(config.scheduler.vramBytes == 12_500_000_000)
        #expect(config.scheduler.policy == .sequential)
        #expect(config.scheduler.keepAlive == .duration(seconds: 600))
        #expect(config.inference.retries == 1)
        #expect(config.inference.idleTimeoutSeconds == 30)
        #expect(config.backends["ollama"]?.host == "http://box:9999")

        let robin = try config.route(for: "robin")
        #expect(robin.model == "robin-v2")
        #expect(robin.baseModel == "llama3.1:8b")
        #expect(robin.backend.kind == .openai)
        #expect(robin.backend.host == "http://10.0.0.5:8000")
        #expect(robin.backend.apiKey == "k123")

        let alfred = try config.route(for: "alfred")
        #expect(alfred.backend.kind == .ollama)
        #expect(alfred.backend.host == "http://gpu-2:11434")
        #expect(config.usedBackends().count == 3)
        // Unknown keys stay readable for other modules.
        #expect(config.document["memory"]?["table_name"] == "a4ps_scrapbook")
    }

    @Test func malformedFileNamesTheLine() throws {
        let text = """
            [models]
            babs = "mistral:7b-instruct"
            brick = phi3 without quotes
            """
        let error = #expect(throws: ConfigError.self) { try A4PSConfig.parse(text, path: "config.toml", environment: [:]) }
        #expect(error?.code == .malformed)
        #expect(error?.line == 3)
        #expect(error?.description.hasPrefix("config.toml:3") == true)
    }

    @Test func malformedFileOnDiskNamesFileAndLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-config-\(UUID().uuidString).toml").path
        try "[scheduler]\nvram_gb = 8\n[scheduler\npolicy = \"budget\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = #expect(throws: ConfigError.self) { try A4PSConfig.load(path: path, environment: [:]) }
        #expect(error?.line == 3)
        #expect(error?.path == path)
    }

    @Test func wrongValuesNameTheKeyAndLine() throws {
        let wrongType = #expect(throws: ConfigError.self) {
            try A4PSConfig.parse("[models]\nbabs = \"m\"\n\n[scheduler]\nvram_gb = \"eight\"\n", environment: [:])
        }
        #expect(wrongType?.code == .invalidValue)
        #expect(wrongType?.key == "scheduler.vram_gb")
        #expect(wrongType?.line == 5)

        let badPolicy = #expect(throws: ConfigError.self) { try A4PSConfig.parse("[scheduler]\npolicy = \"greedy\"\n", environment: [:]) }
        #expect(badPolicy?.description.contains("\"budget\" or \"sequential\"") == true)
        #expect(badPolicy?.line == 2)

        let missingBackend = #expect(throws: ConfigError.self) { try A4PSConfig.parse("[personas.brick]\nbackend = \"vllm\"\n", environment: [:]) }
        #expect(missingBackend?.code == .unknownReference)
        #expect(missingBackend?.description.contains("[backends.vllm]") == true)

        let lifetime = #expect(throws: ConfigError.self) {
            try A4PSConfig.parse("[philosophical]\nproposal_lifetime_days = 0\n", environment: [:])
        }
        #expect(lifetime?.key == "philosophical.proposal_lifetime_days")

        let threshold = #expect(throws: ConfigError.self) { try A4PSConfig.parse("[motivator]\ndissonance_threshold = 1.5\n", environment: [:]) }
        #expect(threshold?.key == "motivator.dissonance_threshold")
    }

    @Test func sandboxSectionIsReadAndChecked() throws {
        #expect(A4PSConfig(environment: [:]).sandbox == SandboxSettings())
        let config = try A4PSConfig.parse("""
            [sandbox]
            runtime = "gvisor"
            executable = "/opt/gvisor/runsc"
            wall_time_seconds = 2.5
            cpu_seconds = 2
            memory_mb = 256
            processes = 4
            temp_mb = 8
            """, environment: [:])
        #expect(config.sandbox.runtime == .gvisor)
        #expect(config.sandbox.executable == "/opt/gvisor/runsc")
        #expect(config.sandbox.wallTimeSeconds == 2.5)
        #expect([config.sandbox.cpuSeconds, config.sandbox.memoryMB, config.sandbox.processes, config.sandbox.tempMB] as [Int] == [2, 256, 4, 8])

        let runtime = #expect(throws: ConfigError.self) { try A4PSConfig.parse("[sandbox]\nruntime = \"docker\"\n", environment: [:]) }
        #expect(runtime?.description.contains("\"bubblewrap\" or \"gvisor\"") == true)
        #expect(runtime?.line == 2)
        let memory = #expect(throws: ConfigError.self) { try A4PSConfig.parse("[sandbox]\nmemory_mb = 0\n", environment: [:]) }
        #expect(memory?.key == "sandbox.memory_mb")
    }

    @Test(arguments: [
        (nil as String?, "http://127.0.0.1:11434"),
        ("", "http://127.0.0.1:11434"),
        ("example.com", "http://example.com:11434"),
        ("example.com:8080", "http://example.com:8080"),
        ("http://example.com", "http://example.com:80"),
        ("https://example.com", "https://example.com:443"),
        ("http://example.com:5000", "http://example.com:5000"),
        ("0.0.0.0", "http://0.0.0.0:11434"),
        (":1234", "http://127.0.0.1:1234"),
        ("[::1]:11434", "http://[::1]:11434"),
        ("::1", "http://[::1]:11434"),
        ("https://example.com/ollama/", "https://example.com:443/ollama"),
        ("  10.0.0.7  ", "http://10.0.0.7:11434"),
    ])
    func ollamaHostRules(value: String?, expected: String) {
        #expect(OllamaHost.resolve(value) == expected)
        var environment: [String: String] = [:]
        if let value { environment["OLLAMA_HOST"] = value }
        #expect(A4PSConfig(environment: environment).backends["ollama"]?.host == expected)
    }

    @Test func keepAliveDurations() {
        #expect(KeepAlive.parseDuration("5m") == 300)
        #expect(KeepAlive.parseDuration("1h30m") == 5400)
        #expect(KeepAlive.parseDuration("-1") == -1)
        #expect(KeepAlive.parseDuration("500ms") == 0.5)
        #expect(KeepAlive.parseDuration("soon") == nil)
        #expect(KeepAlive(.string("0")) == .unloadImmediately)
        #expect(KeepAlive(.number(-5)) == .forever)
    }
}
