import AsyncHTTPClient

/// The OpenAI-compatible API of vLLM, llama.cpp's server and LM Studio: `/v1/chat/completions`
/// (SSE streaming), `/v1/embeddings`, `/v1/models`; vLLM's runtime LoRA load/unload in
/// `OpenAICompatibleBackend+Adapters.swift`.
///
/// Such servers load their models when they start, so the VRAM scheduler leaves them alone.
public struct OpenAICompatibleBackend: ModelBackend {
    public let kind = BackendKind.openai
    public let baseURL: String
    public var managesResidency: Bool { false }
    let transport: HTTPTransport

    /// - Parameters:
    ///   - baseURL: the server root, without `/v1` (e.g. `http://127.0.0.1:8000`).
    ///   - apiKey: sent as `Authorization: Bearer KEY` when given.
    ///   - httpClient: shared by the caller, who shuts it down.
    public init(baseURL: String, apiKey: String? = nil, httpClient: HTTPClient, timeouts: RequestTimeouts = RequestTimeouts(),
                retry: RetryPolicy = RetryPolicy()) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        if url.hasSuffix("/v1") { url.removeLast(3) }
        self.baseURL = url
        transport = HTTPTransport(client: httpClient, baseURL: url, kind: .openai, apiKey: apiKey, timeouts: timeouts, retry: retry)
    }

    /// The server's version (`/version`, which vLLM serves), or `unknown` when it has none.
    public func version() async throws -> String {
        do {
            let json = try await transport.json(.GET, "/version")
            return json["version"]?.stringValue ?? "unknown"
        } catch let error as InferenceError where error.code == .httpStatus || error.code == .modelNotFound || error.code == .malformedResponse {
            _ = try await listModels()
            return "unknown"
        }
    }

    // MARK: Chat

    func chatBody(_ request: ChatRequest, stream: Bool) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(request.model),
            "messages": .array(request.messages.map(\.jsonValue)),
            "stream": .bool(stream),
        ]
        if stream { body["stream_options"] = ["include_usage": true] }
        let o = request.options
        if let v = o.temperature { body["temperature"] = .number(v) }
        if let v = o.topP { body["top_p"] = .number(v) }
        if let v = o.topK { body["top_k"] = .int(v) }
        if let v = o.maxTokens { body["max_tokens"] = .int(v) }
        if let v = o.seed { body["seed"] = .int(v) }
        if let v = o.repeatPenalty {
            body["repeat_penalty"] = .number(v)      // llama.cpp's server
            body["repetition_penalty"] = .number(v)  // vLLM (each ignores the other's field)
        }
        if let v = o.stop { body["stop"] = .array(v.map(JSONValue.string)) }
        switch request.format {
        case .json: body["response_format"] = ["type": "json_object"]
        case .schema(let schema):
            body["response_format"] = ["type": "json_schema", "json_schema": ["name": "answer", "schema": schema]]
        case nil: break
        }
        return .object(body)
    }

    public func chatStream(_ request: ChatRequest) -> AsyncThrowingStream<ChatChunk, any Error> {
        let url = baseURL
        let model = request.model
        return transport.stream(.POST, "/v1/chat/completions", body: chatBody(request, stream: true), model: model, framing: .sse,
            isContent: { !$0.content.isEmpty },
            decode: { message, delivered in
                if message.count == 6, String(decoding: message, as: UTF8.self) == "[DONE]" {
                    return .final(ChatChunk(content: "", done: true))
                }
                let json: JSONValue
                do { json = try JSONParser.parse(message) } catch {
                    throw InferenceError.malformed(url: url, model: model, line: String(decoding: message, as: UTF8.self), reason: "\(error)")
                }
                if let error = json["error"] {
                    let text = error["message"]?.stringValue ?? error.stringValue ?? json["message"]?.stringValue ?? error.jsonText
                    throw InferenceError.streamError(url: url, model: model, chunks: delivered, serverMessage: text)
                }
                guard let choices = json["choices"]?.arrayValue else {
                    throw InferenceError.malformed(url: url, model: model, line: String(decoding: message, as: UTF8.self), reason: "a completion chunk needs \"choices\"")
                }
                let choice = choices.first
                return .chunk(ChatChunk(
                    content: choice?["delta"]?["content"]?.stringValue ?? "",
                    done: false,
                    doneReason: choice?["finish_reason"]?.stringValue,
                    usage: Self.usage(json["usage"], timings: json["timings"])))
            })
    }

    public func chat(_ request: ChatRequest) async throws -> ChatResponse {
        let json = try await transport.json(.POST, "/v1/chat/completions", body: chatBody(request, stream: false), model: request.model)
        guard let choice = json["choices"]?[0], let content = choice["message"]?["content"]?.stringValue else {
            throw InferenceError.malformed(url: baseURL, model: request.model, line: String(json.jsonText.prefix(200)), reason: "no choices[0].message.content")
        }
        return ChatResponse(model: request.model, content: content, doneReason: choice["finish_reason"]?.stringValue, usage: Self.usage(json["usage"], timings: json["timings"]))
    }

    /// The usage of an answer, with what llama.cpp's server adds (`timings`: prompt-cache hits and
    /// generation time).
    static func usage(_ value: JSONValue?, timings: JSONValue? = nil) -> TokenUsage? {
        guard let value, case .object = value else { return nil }
        var usage = TokenUsage(promptTokens: value["prompt_tokens"]?.intValue ?? 0, completionTokens: value["completion_tokens"]?.intValue ?? 0)
        usage.cachedPromptTokens = value["prompt_tokens_details"]?["cached_tokens"]?.intValue ?? timings?["cache_n"]?.intValue
        if let milliseconds = timings?["predicted_ms"]?.doubleValue { usage.evalDuration = .milliseconds(milliseconds) }
        if let prompt = timings?["prompt_ms"]?.doubleValue, let predicted = timings?["predicted_ms"]?.doubleValue {
            usage.totalDuration = .milliseconds(prompt + predicted)
        }
        return usage
    }

    // MARK: Embeddings

    public func embed(model: String, inputs: [String], keepAlive: KeepAlive? = nil) async throws -> [[Float]] {
        guard !inputs.isEmpty else { return [] }
        let json = try await transport.json(.POST, "/v1/embeddings",
            body: ["model": .string(model), "input": .array(inputs.map(JSONValue.string))], model: model)
        guard let rows = json["data"]?.arrayValue, rows.count == inputs.count else {
            throw InferenceError.malformed(url: baseURL, model: model, line: String(json.jsonText.prefix(200)), reason: "expected \(inputs.count) item(s) in \"data\"")
        }
        var vectors = [[Float]](repeating: [], count: inputs.count)
        for (position, row) in rows.enumerated() {
            let index = row["index"]?.intValue ?? position
            guard vectors.indices.contains(index), let values = row["embedding"]?.arrayValue else {
                throw InferenceError.malformed(url: baseURL, model: model, line: String(row.jsonText.prefix(200)), reason: "bad embedding item")
            }
            vectors[index] = values.map { Float($0.doubleValue ?? .nan) }
        }
        return vectors
    }

    // MARK: Models

    public func listModels() async throws -> [ModelInfo] {
        let json = try await transport.json(.GET, "/v1/models")
        return (json["data"]?.arrayValue ?? []).compactMap { entry in
            guard let id = entry["id"]?.stringValue else { return nil }
            return ModelInfo(name: id, parent: entry["parent"]?.stringValue)
        }
    }

    /// Every model the server serves is in memory; sizes are not reported by this API.
    public func runningModels() async throws -> [RunningModel] {
        try await listModels().map { RunningModel(name: $0.name, sizeBytes: 0, sizeVRAMBytes: 0) }
    }

    /// Checks that the server serves the model (such servers load models at start).
    public func load(model: String, keepAlive: KeepAlive) async throws -> LoadReport {
        let start = ContinuousClock.now
        let served = try await listModels().map(\.name)
        guard served.contains(model) else {
            throw InferenceError.modelNotFound(kind: .openai, url: baseURL, model: model, status: 404,
                serverMessage: "not in /v1/models (serves: \(served.joined(separator: ", ")))")
        }
        return LoadReport(model: model, duration: ContinuousClock.now - start, serverLoadDuration: nil)
    }

    public func unload(model: String) async throws {
        throw InferenceError(.unsupported,
            "OpenAI-compatible servers cannot unload '\(model)' on request — stop the server, or unregister a LoRA adapter (vLLM's /v1/unload_lora_adapter)", url: baseURL, model: model)
    }

    public func pull(model: String) -> AsyncThrowingStream<PullProgress, any Error> {
        AsyncThrowingStream { continuation in
            continuation.finish(throwing: InferenceError(.unsupported,
                "OpenAI-compatible servers do not pull models on request — start the server at \(baseURL) with '\(model)' (vLLM: `vllm serve \(model)`)",
                url: baseURL, model: model))
        }
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    var jsonBytes: [UInt8] { JSONValue.object(self).jsonBytes }
}
