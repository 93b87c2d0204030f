import A4PS
import AsyncHTTPClient
import Foundation
import Inference
import NIOCore
import LivingImage

/// Measures the embedded mind on this machine's CPU: cold start to the first token, one whole
/// deliberation on the seeds' task, and the overhead of generating through a4ps against calling
/// llama-server directly with the same prompt and settings.
@main
struct MindBench {
    static let atlasTask = "Design an onboarding protocol for new volunteers of the Community Resource Atlas, "
        + "a map of free local resources (food banks, clinics, shelters) kept up to date by volunteers."

    static func main() async throws {
        let arguments = CommandLine.arguments
        let turns = arguments.firstIndex(of: "--turns").flatMap { Int(arguments[$0 + 1]) } ?? 3
        let runs = arguments.firstIndex(of: "--runs").flatMap { Int(arguments[$0 + 1]) } ?? 5
        let install = LocalModelInstall.locate()
        guard install.isComplete else {
            print("mind-bench: the embedded model is not installed (\(install.missing.joined(separator: ", "))): run Scripts/install-local-model")
            throw ExitCode.failure
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("mind-bench — the embedded mind (llama.cpp \(LocalModelInstall.llamaBuild), SmolLM2-135M-Instruct Q4_1, all-MiniLM-L6-v2) on \(cores) CPU core(s)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-mind-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var config = A4PSConfig(environment: [:]).onEmbeddedModel()
        config.choosesModelServers = true
        strategicSettings(&config.strategic)
        let limits = RunLimits(memoryBytes: 64 << 20, instructions: 200_000_000, wallClockSeconds: 600)

        // (a) Cold start: image opened, server not running, until the first token of the first persona.
        let coldStart = ContinuousClock.now
        let runtime = try await Runtime.open(imagePath: directory.appendingPathComponent("bench.image").path, config: config, limits: limits,
                                             announce: { _ in })
        let firstToken = FirstToken()
        let watcher = Task { [events = runtime.models.events()] in
            for await event in events {
                if case .delta = event { await firstToken.mark(); }
            }
        }
        let before = await runtime.models.metrics()
        let deliberationStart = ContinuousClock.now
        let run = try await runtime.runner.start(graph: "ALFRED.deliberation",
                                                 state: ["task": .string(atlasTask), "max_turns": .int(turns), "dissonance_threshold": 0.8])
        let deliberationTime = ContinuousClock.now - deliberationStart
        let after = await runtime.models.metrics()
        runtime.models.finishEvents()
        _ = await watcher.value
        let coldToFirst = await firstToken.at.map { $0 - coldStart }
        let checkpoints = try await runtime.runner.history(run.id).count

        print("")
        print("(a) Cold start: from opening the image (server not running) to the first token: "
              + (coldToFirst.map { String(format: "%.2f s", $0.seconds) } ?? "no token"))
        print("")
        print("(b) One deliberation on the seeds' task (Community Resource Atlas), max_turns \(turns), first of the process:")
        let prompt = after.promptTokens - before.promptTokens
        let cached = after.cachedPromptTokens - before.cachedPromptTokens
        InferenceTable.print([
            ["status", "wall s", "checkpoints", "model calls", "loads", "prompt tokens", "from cache", "cache share", "generated"],
            [run.status.rawValue, String(format: "%.1f", deliberationTime.seconds), "\(checkpoints)", "\(after.calls - before.calls)",
             "\(after.loads - before.loads)", "\(prompt)", "\(cached)", prompt > 0 ? String(format: "%.0f %%", 100 * Double(cached) / Double(prompt)) : "-",
             "\(after.completionTokens - before.completionTokens)"],
        ])
        print("  targets: wall time ≤ 60 s on 2 cores; cache share ≥ 50 %")

        // (c) Generation through a4ps vs llama-server directly, same prompt and settings, alternating.
        print("")
        print("(c) Generation: a4ps `think` (streamed) vs a direct streamed POST to llama-server, 128 tokens, temperature 0, \(runs) runs each, alternating")
        guard let server = runtime.models.embeddedServer, let alfred = runtime.image.memory.proto(named: "ALFRED") else { throw ExitCode.failure }
        let baseURL = try await server.start()
        let binding = PersonaPrimitives.binding(for: alfred, models: runtime.models)
        let question = "Explain in a paragraph why volunteers should verify the opening hours of a food bank before listing it."
        let generation = GenerationOptions(temperature: 0, maxTokens: 128, seed: 7, repeatPenalty: 1.1)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var throughA4PS: [Double] = []
        var direct: [Double] = []
        for _ in 0..<runs {
            let start = ContinuousClock.now
            let result = try await runtime.models.think(binding, prompt: question, options: ThinkOptions(generation: generation))
            throughA4PS.append(Double(result.usage?.completionTokens ?? 0) / (ContinuousClock.now - start).seconds)
            let (tokens, seconds) = try await directStream(client: client, baseURL: baseURL, system: binding.systemPrompt ?? "",
                                                         question: question, generation: generation)
            direct.append(Double(tokens) / seconds)
        }
        try await client.shutdown()
        let a = median(throughA4PS), d = median(direct)
        InferenceTable.print([
            ["path", "median tokens/s", "runs"],
            ["a4ps think", String(format: "%.1f", a), throughA4PS.map { String(format: "%.1f", $0) }.joined(separator: " ")],
            ["llama-server direct", String(format: "%.1f", d), direct.map { String(format: "%.1f", $0) }.joined(separator: " ")],
        ])
        print(String(format: "  overhead ratio (direct / a4ps) = %.3f (target ≤ 1.05)", d / a))
        try await strategicLoop(runtime)
        await runtime.shutdown()
    }

    /// Streams one answer straight from llama-server's OpenAI API; answers (completion tokens, seconds).
    static func directStream(client: HTTPClient, baseURL: String, system: String, question: String,
                             generation: GenerationOptions) async throws -> (Int, Double) {
        var request = HTTPClientRequest(url: baseURL + "/v1/chat/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body: JSONValue = [
            "model": .string(LocalModelInstall.chatModel), "stream": true, "stream_options": ["include_usage": true],
            "messages": [["role": "system", "content": .string(system)], ["role": "user", "content": .string(question)]],
            "temperature": .number(generation.temperature ?? 0), "max_tokens": .int(generation.maxTokens ?? 128),
            "seed": .int(generation.seed ?? 7), "repeat_penalty": .number(generation.repeatPenalty ?? 1),
        ]
        request.body = .bytes(ByteBuffer(string: body.jsonText))
        let start = ContinuousClock.now
        let response = try await client.execute(request, timeout: .seconds(300))
        var text = ""
        for try await buffer in response.body { text += String(buffer: buffer) }
        let seconds = (ContinuousClock.now - start).seconds
        var tokens = 0
        for line in text.split(separator: "\n") where line.hasPrefix("data: {") {
            if let json = try? JSONParser.parse(String(line.dropFirst(6))), let n = json["usage"]?["completion_tokens"]?.intValue { tokens = n }
        }
        return (tokens, seconds)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}

/// When the first token arrived.
actor FirstToken {
    private(set) var at: ContinuousClock.Instant?
    func mark() { if at == nil { at = .now } }
}

enum ExitCode: Error { case failure }

enum InferenceTable {
    static func print(_ rows: [[String]]) {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for (index, row) in rows.enumerated() {
            let cells = row.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }
            Swift.print("  " + cells.joined(separator: "  "))
            if index == 0 { Swift.print("  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")) }
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
