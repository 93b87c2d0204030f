import AsyncHTTPClient
import Foundation

/// Ollama's native API: `/api/chat` (NDJSON streaming), `/api/embed`, `/api/ps`, `/api/tags`,
/// `/api/pull`, explicit load/unload, `/api/version`; LoRA adapters (`/api/blobs` + `/api/create`)
/// in `OllamaBackend+Adapters.swift`.
///
/// The `HTTPClient` is the caller's: it is used, never shut down, here.
public struct OllamaBackend: ModelBackend {
    public let kind = BackendKind.ollama
    public let baseURL: String
    public var managesResidency: Bool { true }
    let transport: HTTPTransport

    /// - Parameters:
    ///   - baseURL: e.g. `OllamaHost.resolve(environment:)`.
    ///   - httpClient: shared by the caller, who shuts it down.
    public init(baseURL: String = OllamaHost.defaultURL, httpClient: HTTPClient, timeouts: RequestTimeouts = RequestTimeouts(),
                retry: RetryPolicy = RetryPolicy()) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        transport = HTTPTransport(client: httpClient, baseURL: url, kind: .ollama, apiKey: nil, timeouts: timeouts, retry: retry)
    }

    public func version() async throws -> String {
        let json = try await transport.json(.GET, "/api/version")
        guard let version = json["version"]?.stringValue else {
            throw InferenceError.malformed(url: baseURL, model: nil, line: json.jsonText, reason: "no \"version\" member")
        }
        return version
    }

    // MARK: Chat

    func chatBody(_ request: ChatRequest, stream: Bool) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(request.model),
            "messages": .array(request.messages.map(\.jsonValue)),
            "stream": .bool(stream),
        ]
        var options: [String: JSONValue] = [:]
        let o = request.options
        if let v = o.temperature { options["temperature"] = .number(v) }
        if let v = o.topP { options["top_p"] = .number(v) }
        if let v = o.topK { options["top_k"] = .int(v) }
        if let v = o.contextLength { options["num_ctx"] = .int(v) }
        if let v = o.maxTokens { options["num_predict"] = .int(v) }
        if let v = o.seed { options["seed"] = .int(v) }
        if let v = o.repeatPenalty { options["repeat_penalty"] = .number(v) }
        if let v = o.stop { options["stop"] = .array(v.map(JSONValue.string)) }
        if !options.isEmpty { body["options"] = .object(options) }
        switch request.format {
        case .json: body["format"] = "json"
        case .schema(let schema): body["format"] = schema
        case nil: break
        }
        if let keepAlive = request.keepAlive { body["keep_alive"] = keepAlive.jsonValue }
        return .object(body)
    }

    public func chatStream(_ request: ChatRequest) -> AsyncThrowingStream<ChatChunk, any Error> {
        let url = baseURL
        let model = request.model
        return transport.stream(.POST, "/api/chat", body: chatBody(request, stream: true), model: model, framing: .ndjson,
            isContent: { !$0.content.isEmpty },
            decode: { line, delivered in
                let json: JSONValue
                do { json = try JSONParser.parse(line) } catch {
                    throw InferenceError.malformed(url: url, model: model, line: String(decoding: line, as: UTF8.self), reason: "\(error)")
                }
                let chunk = try Self.decodeChunk(json, url: url, model: model, delivered: delivered, line: line)
                return chunk.done ? .final(chunk) : .chunk(chunk)
            })
    }

    public func chat(_ request: ChatRequest) async throws -> ChatResponse {
        let json = try await transport.json(.POST, "/api/chat", body: chatBody(request, stream: false), model: request.model)
        let chunk = try Self.decodeChunk(json, url: baseURL, model: request.model, delivered: 0, line: nil)
        return ChatResponse(model: request.model, content: chunk.content, doneReason: chunk.doneReason, usage: chunk.usage)
    }

    static func decodeChunk(_ json: JSONValue, url: String, model: String, delivered: Int, line: UnsafeRawBufferPointer?) throws -> ChatChunk {
        if let message = json["error"]?.stringValue ?? json["error"]?["message"]?.stringValue {
            throw InferenceError.streamError(url: url, model: model, chunks: delivered, serverMessage: message)
        }
        guard case .object = json, let done = json["done"]?.boolValue else {
            throw InferenceError.malformed(url: url, model: model, line: line.map { String(decoding: $0, as: UTF8.self) } ?? json.jsonText,
                reason: "a chat chunk needs a boolean \"done\"")
        }
        let content = json["message"]?["content"]?.stringValue ?? ""
        var usage: TokenUsage?
        if done {
            usage = TokenUsage(
                promptTokens: json["prompt_eval_count"]?.intValue ?? 0,
                completionTokens: json["eval_count"]?.intValue ?? 0,
                loadDuration: nanoseconds(json["load_duration"]),
                evalDuration: nanoseconds(json["eval_duration"]),
                totalDuration: nanoseconds(json["total_duration"]))
        }
        return ChatChunk(content: content, done: done, doneReason: json["done_reason"]?.stringValue, usage: usage)
    }

    static func nanoseconds(_ value: JSONValue?) -> Duration? {
        guard let n = value?.doubleValue else { return nil }
        return .nanoseconds(Int64(n))
    }

    // MARK: Embeddings

    public func embed(model: String, inputs: [String], keepAlive: KeepAlive? = nil) async throws -> [[Float]] {
        guard !inputs.isEmpty else { return [] }
        var body: [String: JSONValue] = ["model": .string(model), "input": .array(inputs.map(JSONValue.string))]
        if let keepAlive { body["keep_alive"] = keepAlive.jsonValue }
        let json = try await transport.json(.POST, "/api/embed", body: .object(body), model: model)
        guard let rows = json["embeddings"]?.arrayValue, rows.count == inputs.count else {
            throw InferenceError.malformed(url: baseURL, model: model, line: String(json.jsonText.prefix(200)),
                reason: "expected \(inputs.count) embedding(s) in \"embeddings\"")
        }
        return try rows.map { row in
            guard let values = row.arrayValue else {
                throw InferenceError.malformed(url: baseURL, model: model, line: String(row.jsonText.prefix(200)), reason: "an embedding must be an array of numbers")
            }
            return values.map { Float($0.doubleValue ?? .nan) }
        }
    }

    // MARK: Residency

    public func listModels() async throws -> [ModelInfo] {
        let json = try await transport.json(.GET, "/api/tags")
        return (json["models"]?.arrayValue ?? []).compactMap { entry in
            guard let name = entry["name"]?.stringValue ?? entry["model"]?.stringValue else { return nil }
            return ModelInfo(
                name: name, sizeBytes: entry["size"]?.int64Value, digest: entry["digest"]?.stringValue,
                family: entry["details"]?["family"]?.stringValue,
                parameterSize: entry["details"]?["parameter_size"]?.stringValue,
                quantization: entry["details"]?["quantization_level"]?.stringValue)
        }
    }

    public func runningModels() async throws -> [RunningModel] {
        let json = try await transport.json(.GET, "/api/ps")
        return (json["models"]?.arrayValue ?? []).compactMap { entry in
            guard let name = entry["name"]?.stringValue ?? entry["model"]?.stringValue else { return nil }
            let size = entry["size"]?.int64Value ?? 0
            return RunningModel(
                name: name, sizeBytes: size, sizeVRAMBytes: entry["size_vram"]?.int64Value ?? size,
                expiresAt: entry["expires_at"]?.stringValue, contextLength: entry["context_length"]?.intValue)
        }
    }

    public func load(model: String, keepAlive: KeepAlive) async throws -> LoadReport {
        let start = ContinuousClock.now
        let body: JSONValue = ["model": .string(model), "messages": [], "stream": false, "keep_alive": keepAlive.jsonValue]
        let json = try await transport.json(.POST, "/api/chat", body: body, model: model)
        if let message = json["error"]?.stringValue {
            throw InferenceError.httpStatus(url: baseURL, path: "/api/chat", model: model, status: 200, serverMessage: message)
        }
        return LoadReport(model: model, duration: ContinuousClock.now - start, serverLoadDuration: Self.nanoseconds(json["load_duration"]))
    }

    public func unload(model: String) async throws {
        let body: JSONValue = ["model": .string(model), "messages": [], "stream": false, "keep_alive": 0]
        _ = try await transport.json(.POST, "/api/chat", body: body, model: model)
    }

    // MARK: Pull, delete

    public func pull(model: String) -> AsyncThrowingStream<PullProgress, any Error> {
        progressStream("/api/pull", body: ["model": .string(model), "stream": true], model: model)
    }

    func progressStream(_ path: String, body: JSONValue, model: String) -> AsyncThrowingStream<PullProgress, any Error> {
        let url = baseURL
        return transport.stream(.POST, path, body: body, model: model, framing: .ndjson, isContent: { _ in true },
            decode: { line, delivered in
                let json: JSONValue
                do { json = try JSONParser.parse(line) } catch {
                    throw InferenceError.malformed(url: url, model: model, line: String(decoding: line, as: UTF8.self), reason: "\(error)")
                }
                if let message = json["error"]?.stringValue {
                    throw InferenceError.streamError(url: url, model: model, chunks: delivered, serverMessage: message)
                }
                guard let status = json["status"]?.stringValue else {
                    throw InferenceError.malformed(url: url, model: model, line: json.jsonText, reason: "a progress line needs \"status\"")
                }
                let progress = PullProgress(status: status, digest: json["digest"]?.stringValue,
                                            total: json["total"]?.int64Value, completed: json["completed"]?.int64Value)
                return progress.isSuccess ? .final(progress) : .chunk(progress)
            })
    }

    /// Deletes a model (`DELETE /api/delete`).
    public func deleteModel(_ model: String) async throws {
        _ = try await transport.json(.DELETE, "/api/delete", body: ["model": .string(model)], model: model)
    }
}
