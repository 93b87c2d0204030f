import Crypto
import Foundation
import Inference
import ScriptedModelServer
import Testing

/// Registering a fine-tuned LoRA adapter on Ollama (blob + create) and vLLM (runtime load), and
/// every refusal, against real scripted servers on loopback.
@Suite("Adapter serving on Ollama and vLLM (scripted)")
struct AdapterServingTests {
    static let tuned = "brick-golden-1"
    let script = Script(rules: [.init(model: AdapterServingTests.tuned, reply: "BRICK, fine-tuned, reporting.")])

    // MARK: Ollama

    @Test func ollamaUploadsCreatesAndThinks() async throws {
        try await withAdapterFiles { adapter, bytes in
            try await withScriptedServer(script) { server, url, client in
                let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
                let registration = try await backend.register(adapter: adapter, as: Self.tuned)
                #expect(registration.name == Self.tuned)
                #expect(registration.adapterPath == adapter.ggufPath)
                #expect(registration.duration >= registration.loadDuration)

                let digest = "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
                let requests = await server.requests()
                #expect(requests.first?.path == "/api/version")
                #expect(requests.contains { $0.method == "HEAD" && $0.path == "/api/blobs/\(digest)" })
                let upload = try #require(requests.first { $0.method == "POST" && $0.path == "/api/blobs/\(digest)" })
                #expect(upload.body == "<\(bytes.count) bytes>")
                let create = try jsonBody(#require(requests.first { $0.path == "/api/create" }))
                #expect(create["model"] == .string(Self.tuned))
                #expect(create["from"] == .string(phi))
                #expect(create["adapters"] == .object([URL(fileURLWithPath: adapter.ggufPath).lastPathComponent: .string(digest)]))
                #expect(requests.contains { $0.path == "/api/show" })

                let answer = try await collectText(backend.chatStream(ChatRequest(model: Self.tuned, messages: [.user("Who are you?")]))).text
                #expect(answer == "BRICK, fine-tuned, reporting.")

                // Again under the same name: nothing is uploaded or created twice, it is only loaded.
                await server.clearRequests()
                _ = try await backend.register(adapter: adapter, as: Self.tuned)
                let again = await server.requests()
                #expect(!again.contains { $0.path == "/api/create" || ($0.method == "POST" && $0.path.hasPrefix("/api/blobs")) })
            }
        }
    }

    @Test func ollamaDoesNotUploadABlobItHas() async throws {
        try await withAdapterFiles { adapter, bytes in
            try await withScriptedServer(script) { server, url, client in
                let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
                let digest = try await backend.pushBlob(bytes)
                _ = try await backend.register(adapter: adapter, as: Self.tuned)
                let requests = await server.requests()
                #expect(requests.filter { $0.method == "POST" && $0.path.hasPrefix("/api/blobs") }.count == 1)
                #expect(requests.filter { $0.method == "HEAD" && $0.path == "/api/blobs/\(digest)" }.count == 2)
                #expect(requests.contains { $0.path == "/api/create" })
            }
        }
    }

    @Test func ollamaVersionThatRefusesAdaptersSaysWhatToDo() async throws {
        let refusal = "adapters cannot be created on this server"
        let refusing = Script(ollamaVersion: "0.34.1", adapterFault: .init(kind: .refuse, message: refusal))
        try await withAdapterFiles { adapter, _ in
            try await withScriptedServer(refusing) { _, url, client in
                let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
                let error = await adapterError { _ = try await backend.register(adapter: adapter, as: Self.tuned) }
                #expect(error?.code == .creationRefused)
                #expect(error?.serverMessage == refusal)
                for words in ["Ollama 0.34.1", refusal, "llama-export-lora", "FROM ./merged.gguf", "vLLM", "older than 0.34.1"] {
                    #expect(error?.message.contains(words) == true, "missing \(words)")
                }
                let listed = try await backend.listModels().map(\.name)
                #expect(!listed.contains(Self.tuned))
            }
        }
        #expect(OllamaBackend.refusesAdapterCreation(version: "0.35.0-rc1"))
        #expect(!OllamaBackend.refusesAdapterCreation(version: "0.33.9"))
        #expect(!OllamaBackend.refusesAdapterCreation(version: ScriptedModelServer.version))
    }

    @Test func ollamaRefusalByTextOrBySilenceIsNamed() async throws {
        try await withAdapterFiles { adapter, _ in
            let byText = Script(adapterFault: .init(kind: .refuse, message: "the ADAPTER command is no longer supported"))
            try await withScriptedServer(byText) { _, url, client in
                let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
                let error = await adapterError { _ = try await backend.register(adapter: adapter, as: Self.tuned) }
                #expect(error?.code == .creationRefused)
            }
            try await withScriptedServer(Script(adapterFault: .init(kind: .dropAdapter))) { _, url, client in
                let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
                let error = await adapterError { _ = try await backend.register(adapter: adapter, as: Self.tuned) }
                #expect(error?.code == .creationRefused)
                #expect(error?.message.contains("without the adapter") == true)
                let listed = try await backend.listModels().map(\.name)
                #expect(!listed.contains(Self.tuned))
            }
        }
    }

    @Test func ollamaCreateErrorLineIsTheServersReason() async throws {
        let broken = Script(adapterFault: .init(kind: .errorLine, message: "invalid file magic"))
        try await withAdapterFiles { adapter, _ in
            try await withScriptedServer(broken) { _, url, client in
                let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
                let error = await adapterError { _ = try await backend.register(adapter: adapter, as: Self.tuned) }
                #expect(error?.code == .rejected)
                #expect(error?.serverMessage == "invalid file magic")
                #expect(error?.message.contains("ollama pull \(phi)") == true)

                let missing = LoRAAdapter(ggufPath: "/no/such/adapter.gguf", peftDirectory: adapter.peftDirectory, baseModel: phi)
                #expect(await adapterError { _ = try await backend.register(adapter: missing, as: Self.tuned) }?.code == .unreadableAdapter)
                #expect(await adapterError { _ = try await backend.register(adapter: adapter, as: phi) }?.code == .nameTaken)
            }
        }
    }

    @Test func ollamaUnregisterDeletesTheModel() async throws {
        try await withAdapterFiles { adapter, _ in
            try await withScriptedServer(script) { server, url, client in
                let backend = OllamaBackend(baseURL: url, httpClient: client, retry: quickRetry)
                _ = try await backend.register(adapter: adapter, as: Self.tuned)
                try await backend.unregister(adapter: Self.tuned)
                let delete = try #require(await server.requests().last { $0.path == "/api/delete" })
                #expect(delete.method == "DELETE")
                #expect(try jsonBody(delete) == .object(["model": .string(Self.tuned)]))
                #expect(try await !backend.listModels().map(\.name).contains(Self.tuned))
                #expect(FileManager.default.fileExists(atPath: adapter.ggufPath))
                #expect(await adapterError { try await backend.unregister(adapter: Self.tuned) }?.code == .unknownAdapter)
            }
        }
    }

    // MARK: vLLM

    @Test func vllmLoadsThePEFTDirectoryAndUnloadsIt() async throws {
        try await withAdapterFiles { adapter, _ in
            try await withScriptedServer(script) { server, url, client in
                let backend = OpenAICompatibleBackend(baseURL: url, httpClient: client, retry: quickRetry)
                let registration = try await backend.register(adapter: adapter, as: Self.tuned)
                #expect(registration.adapterPath == adapter.peftDirectory)
                let requests = await server.requests()
                let load = try #require(requests.first { $0.path == "/v1/load_lora_adapter" })
                #expect(try jsonBody(load) == .object(["lora_name": .string(Self.tuned), "lora_path": .string(adapter.peftDirectory)]))
                #expect(requests.last?.path == "/v1/models")

                let answer = try await collectText(backend.chatStream(ChatRequest(model: Self.tuned, messages: [.user("Who are you?")]))).text
                #expect(answer == "BRICK, fine-tuned, reporting.")
                #expect(await adapterError { _ = try await backend.register(adapter: adapter, as: Self.tuned) }?.code == .nameTaken)

                try await backend.unregister(adapter: Self.tuned)
                let unload = try #require(await server.requests().last { $0.path == "/v1/unload_lora_adapter" })
                #expect(try jsonBody(unload) == .object(["lora_name": .string(Self.tuned)]))
                #expect(try await !backend.listModels().map(\.name).contains(Self.tuned))
                #expect(await adapterError { try await backend.unregister(adapter: Self.tuned) }?.code == .unknownAdapter)

                let elsewhere = LoRAAdapter(ggufPath: adapter.ggufPath, peftDirectory: "/not/on/this/server", baseModel: phi)
                let missing = await adapterError { _ = try await backend.register(adapter: elsewhere, as: "brick-golden-2") }
                #expect(missing?.code == .rejected)
                #expect(missing?.message.contains("own disk") == true)
            }
        }
    }

    @Test func vllmWithoutRuntimeLoRAUpdatingSaysHowToEnableIt() async throws {
        try await withAdapterFiles { adapter, _ in
            try await withScriptedServer(Script(adapterFault: .init(kind: .noEndpoints))) { _, url, client in
                let backend = OpenAICompatibleBackend(baseURL: url, httpClient: client, retry: quickRetry)
                let error = await adapterError { _ = try await backend.register(adapter: adapter, as: Self.tuned) }
                #expect(error?.code == .runtimeLoadingDisabled)
                #expect(error?.message.contains("VLLM_ALLOW_RUNTIME_LORA_UPDATING=True") == true)
                #expect(error?.message.contains("--enable-lora") == true)
                #expect(await adapterError { try await backend.unregister(adapter: Self.tuned) }?.code == .runtimeLoadingDisabled)
            }
            let notEnabled = Script(adapterFault: .init(kind: .refuse, message: "LoRA is not enabled."))
            try await withScriptedServer(notEnabled) { _, url, client in
                let backend = OpenAICompatibleBackend(baseURL: url, httpClient: client, retry: quickRetry)
                let error = await adapterError { _ = try await backend.register(adapter: adapter, as: Self.tuned) }
                #expect(error?.code == .runtimeLoadingDisabled)
                #expect(error?.serverMessage == "LoRA is not enabled.")
            }
        }
    }

    @Test func vllmRefusalKeepsItsReason() async throws {
        try await withAdapterFiles { adapter, _ in
            try await withScriptedServer(Script(adapterFault: .init(kind: .refuse))) { _, url, client in
                let backend = OpenAICompatibleBackend(baseURL: url, httpClient: client, retry: quickRetry)
                let error = await adapterError { _ = try await backend.register(adapter: adapter, as: Self.tuned) }
                #expect(error?.code == .rejected)
                #expect(error?.serverMessage?.contains("max_lora_rank 16") == true)
                #expect(error?.message.contains("--max-lora-rank") == true)
                let listed = try await backend.listModels().map(\.name)
                #expect(!listed.contains(Self.tuned))
            }
        }
    }
}

/// Writes an adapter as a fine-tune job leaves it — a GGUF of a few megabytes (so that hashing
/// and uploading take several chunks) and a PEFT directory — runs `body`, and removes both.
private func withAdapterFiles(_ body: (LoRAAdapter, [UInt8]) async throws -> Void) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adapter-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    var bytes = Array("GGUF".utf8) + [3, 0, 0, 0]
    bytes += (0..<(2_500_000)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
    let gguf = directory.appendingPathComponent("brick-golden-1.gguf")
    try Data(bytes).write(to: gguf)
    let peft = directory.appendingPathComponent("peft")
    try FileManager.default.createDirectory(at: peft, withIntermediateDirectories: true)
    try Data(#"{"peft_type":"LORA","r":8}"#.utf8).write(to: peft.appendingPathComponent("adapter_config.json"))
    try await body(LoRAAdapter(ggufPath: gguf.path, peftDirectory: peft.path, baseModel: phi), bytes)
}

/// Runs `operation` and returns the `AdapterServingError` it throws (failing the test if it does not throw one).
private func adapterError(sourceLocation: SourceLocation = #_sourceLocation, _ operation: () async throws -> Void) async -> AdapterServingError? {
    do {
        try await operation()
        Issue.record("expected an AdapterServingError, but the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as AdapterServingError {
        return error
    } catch {
        Issue.record("expected an AdapterServingError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
