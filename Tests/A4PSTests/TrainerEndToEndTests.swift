import A4PS
import AsyncHTTPClient
import NIOCore
import Foundation
import Inference
import Synchronization
import Testing

/// A real LoRA fine-tune on the CPU, end to end: a few ChatML examples → the CPU trainer
/// (Scripts/trainers/cpu_lora.py, installed by Scripts/install-trainer) runs a few real steps of
/// SmolLM2-135M-Instruct → a GGUF adapter → registered in the embedded llama-server under a
/// versioned name → a chat request to that name is answered by the adapter's model process.
/// Asserts mechanics, never the model's wording; prints the timings it measured.
@Suite(.serialized) struct TrainerEndToEndTests {
    static let system = "You are BRICK, a logical engineer. Answer in one short sentence that starts with 'Systematically:'."
    static let questions = [
        "Why survey a river before building a bridge?", "How should volunteers update the clinic list?",
        "What is the first step of an onboarding protocol?", "Why keep a change log?", "How do you test a new tool?",
        "What makes a plan robust?", "Why measure before optimizing?", "How should a food bank schedule be verified?",
    ]

    static func example(_ question: String) -> String {
        let answer = "Systematically: " + question.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "?"))
            + " needs evidence first."
        let messages: JSONValue = .array([
            ["role": "system", "content": .string(system)], ["role": "user", "content": .string(question)],
            ["role": "assistant", "content": .string(answer)],
        ])
        return JSONValue.object(["messages": messages]).jsonText
    }

    /// The embedded server and a backend on it, stopped afterwards; a temporary directory, removed afterwards.
    func withEmbeddedServer(_ body: (EmbeddedBackend, URL) async throws -> Void) async throws {
        let install = LocalModelInstall.locate()
        try #require(install.isComplete, "the embedded model is not installed (missing: \(install.missing.joined(separator: ", "))): run Scripts/install-local-model")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-finetune-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let client = BackendFactory.makeHTTPClient(connectTimeoutSeconds: 2)
        let server = EmbeddedModelServer(install: install)
        let backend = EmbeddedBackend(server: server, httpClient: client)
        do {
            try await body(backend, dir)
        } catch {
            await server.stop()
            try? await client.shutdown()
            try? FileManager.default.removeItem(at: dir)
            throw error
        }
        await server.stop()
        try? await client.shutdown()
        try? FileManager.default.removeItem(at: dir)
    }

    @Test func aRealFineTuneIsRegisteredAndAnswersUnderItsVersionedName() async throws {
        try await withEmbeddedServer { backend, dir in
            let install = backend.server.install
            let trainer = Trainer(command: .cpuLoRA(install: install, trainersDirectory: TrainerCommand.trainersDirectory()))
            try #require(trainer.command.missing == nil, "\(trainer.command.missing ?? ""): run Scripts/install-trainer")
            let dataset = dir.appendingPathComponent("train.jsonl")
            let holdout = dir.appendingPathComponent("holdout.jsonl")
            try (Self.questions.prefix(6).map(Self.example).joined(separator: "\n") + "\n").write(to: dataset, atomically: true, encoding: .utf8)
            try (Self.questions.suffix(2).map(Self.example).joined(separator: "\n") + "\n").write(to: holdout, atomically: true, encoding: .utf8)
            let spec = TrainerJobSpec(
                baseModel: "HuggingFaceTB/SmolLM2-135M-Instruct", baseGGUF: install.chatModelFile, dataset: dataset.path,
                holdout: holdout.path, outputDirectory: dir.appendingPathComponent("job").path,
                hyper: TrainerHyperparameters(r: 4, alpha: 8, dropout: 0, maxSteps: 3, learningRate: 1e-3, batchSize: 2,
                                              maxSequenceLength: 128, seed: 1, evalBefore: false))

            // Train: real steps, progress streamed, a GGUF adapter and a PEFT directory out.
            let started = ContinuousClock.now
            let steps = Mutex<[TrainerEvent.Progress]>([])
            let result = try await trainer.run(spec) { event in
                if case .progress(let progress) = event { steps.withLock { $0.append(progress) } }
            }
            let trainingWall = ContinuousClock.now - started
            #expect(steps.withLock { $0.map(\.step) } == [1, 2, 3])
            #expect(steps.withLock { $0.allSatisfy { $0.loss.map { $0.isFinite && $0 > 0 } ?? false } })
            #expect(result.steps == 3 && result.examples == 6 && result.evalLossAfter != nil)
            let magic = try FileHandle(forReadingFrom: URL(fileURLWithPath: result.adapterGGUF)).read(upToCount: 4)
            #expect(magic == Data("GGUF".utf8))
            #expect(FileManager.default.fileExists(atPath: result.peftDirectory + "/adapter_model.safetensors"))
            #expect(FileManager.default.fileExists(atPath: result.peftDirectory + "/adapter_config.json"))

            // Register under a versioned name; the first token comes from the adapter's own model process.
            let name = "brick-golden-\(UInt16.random(in: 1...UInt16.max))"
            let registering = ContinuousClock.now
            let registration = try await backend.register(adapter: result.adapterGGUF, as: name)
            #expect(registration.name == name)
            var firstToken: Duration?
            var text = ""
            let request = ChatRequest(model: name, messages: [.system(Self.system), .user("Why check a map before a trip?")],
                                      options: GenerationOptions(temperature: 0, maxTokens: 24))
            for try await chunk in backend.chatStream(request) {
                if firstToken == nil, !chunk.content.isEmpty { firstToken = ContinuousClock.now - registering }
                text += chunk.content
            }
            #expect(!text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            #expect(firstToken != nil)

            // The server itself says which model answered, and that its process loaded the adapter.
            let baseURL = try #require(await backend.server.baseURL)
            let answered = try await postJSON(baseURL + "/v1/chat/completions", [
                "model": .string(name), "max_tokens": 4, "temperature": 0,
                "messages": [["role": "user", "content": "Hello"]],
            ])
            #expect(answered["model"]?.stringValue == name)
            let models = try await getJSON(baseURL + "/models")
            let entry = models["data"]?.arrayValue?.first { $0["id"]?.stringValue == name }
            #expect(entry?["status"]?["value"]?.stringValue == "loaded")
            #expect(entry?["status"]?["args"]?.arrayValue?.contains(.string(result.adapterGGUF)) == true)

            print("""
                fine-tune on CPU: \(result.steps) steps over \(result.examples) examples in \(trainingWall) (wall, with imports); \
                timings \(result.timings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")); \
                registration \(registration.duration) (load \(registration.loadDuration)); registration to first token \(firstToken!)
                """)

            // Unregistered: its process is unloaded and the name is served no more.
            try await backend.unregister(adapter: name)
            #expect(!backend.server.servesAdapter(name))
            let after = try await getJSON(baseURL + "/models")
            #expect(after["data"]?.arrayValue?.contains { $0["id"]?.stringValue == name } == false)
        }
    }

    @Test func aRealTrainerCancelledAfterAStepLeavesNoProcess() async throws {
        let install = LocalModelInstall.locate()
        let trainer = Trainer(command: .cpuLoRA(install: install, trainersDirectory: TrainerCommand.trainersDirectory()))
        try #require(trainer.command.missing == nil, "\(trainer.command.missing ?? ""): run Scripts/install-trainer")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-finetune-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let dataset = dir.appendingPathComponent("train.jsonl")
        try (Self.questions.map(Self.example).joined(separator: "\n") + "\n").write(to: dataset, atomically: true, encoding: .utf8)
        let run = try trainer.start(TrainerJobSpec(baseModel: install.chatModelFile, dataset: dataset.path,
                                                   outputDirectory: dir.appendingPathComponent("job").path,
                                                   hyper: TrainerHyperparameters(maxSteps: 50, batchSize: 1)))
        // Midway: after its first real optimizer step.
        _ = await readEvents(run.events, timeout: .seconds(300), "the trainer takes a step") { if case .progress = $0 { true } else { false } }
        run.cancel()
        let error = await #expect(throws: TrainerError.self) { try await run.result() }
        #expect(error?.code == .cancelled)
        #expect(!isAlive(run.processIdentifier))
        #expect(kill(-run.processIdentifier, 0) != 0, "a process of the trainer's group is left")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("job/adapter.gguf").path))
    }

    @Test func adaptersTheServerCannotUseAreRefusedWithTheReason() async throws {
        try await withEmbeddedServer { backend, dir in
            let install = backend.server.install
            // Inside the models directory: a model server would take it for a model.
            let inModels = await #expect(throws: EmbeddedServerError.self) {
                _ = try await backend.register(adapter: install.embeddingModelFile, as: "smol-wrong-1")
            }
            #expect(inModels?.code == .invalidAdapter && inModels?.message.contains("models directory") == true)
            // Not a GGUF at all.
            let text = dir.appendingPathComponent("adapter.gguf")
            try "not a gguf".write(to: text, atomically: true, encoding: .utf8)
            let notGGUF = await #expect(throws: EmbeddedServerError.self) { _ = try await backend.register(adapter: text.path, as: "smol-wrong-2") }
            #expect(notGGUF?.code == .invalidAdapter)
            // A bad name.
            let badName = await #expect(throws: EmbeddedServerError.self) { _ = try await backend.register(adapter: text.path, as: "a]b\n[x") }
            #expect(badName?.code == .invalidAdapter)
            // A GGUF that is a model, not an adapter: llama.cpp's own reason comes back.
            let model = dir.appendingPathComponent("not-an-adapter.gguf")
            try FileManager.default.copyItem(atPath: install.embeddingModelFile, toPath: model.path)
            let rejected = await #expect(throws: EmbeddedServerError.self) { _ = try await backend.register(adapter: model.path, as: "smol-wrong-3") }
            #expect(rejected?.code == .adapterRejected)
            #expect(rejected?.message.contains("expect general.type to be 'adapter'") == true, "\(rejected?.message ?? "")")
            #expect(!backend.server.servesAdapter("smol-wrong-3"))
            // The base model still answers.
            let reply = try await backend.chat(ChatRequest(model: LocalModelInstall.chatModel, messages: [.user("Hi")],
                                                           options: GenerationOptions(maxTokens: 4)))
            #expect(!reply.content.isEmpty)
        }
    }

    func getJSON(_ url: String) async throws -> JSONValue {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = client.shutdown() }
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(60))
        return try JSONParser.parse(String(buffer: try await response.body.collect(upTo: 1 << 22)))
    }

    func postJSON(_ url: String, _ body: JSONValue) async throws -> JSONValue {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { _ = client.shutdown() }
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body.jsonText))
        let response = try await client.execute(request, timeout: .seconds(120))
        return try JSONParser.parse(String(buffer: try await response.body.collect(upTo: 1 << 22)))
    }
}
