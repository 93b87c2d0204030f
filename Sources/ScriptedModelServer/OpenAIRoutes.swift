import Foundation
import Hummingbird

/// The OpenAI-compatible API (as vLLM serves it), answered from the script.
struct OpenAIRoutes: Sendable {
    let state: ScriptedServerState

    func register(on router: Router<BasicRequestContext>) {
        router.get("/version") { _, _ in WireFormat.response(json: ["version": ScriptedModelServer.version]) }
        router.get("/health") { _, _ in Response(status: .ok) }
        router.get("/v1/models") { request, _ in try await authorized(request) { await models() } }
        router.post("/v1/chat/completions") { request, _ in try await authorized(request) { try await completions(request) } }
        router.post("/v1/embeddings") { request, _ in try await authorized(request) { try await embeddings(request) } }
        router.post("/v1/load_lora_adapter") { request, _ in try await authorized(request) { try await loadLoRA(request) } }
        router.post("/v1/unload_lora_adapter") { request, _ in try await authorized(request) { try await unloadLoRA(request) } }
    }

    private func authorized(_ request: Request, _ body: () async throws -> Response) async throws -> Response {
        if let key = state.script.apiKey, request.headers[.authorization] != "Bearer \(key)" {
            return WireFormat.openAIError(.unauthorized, "Unauthorized: a valid API key is required", type: "AuthenticationError")
        }
        return try await body()
    }

    static func notFound(_ model: String) -> Response {
        WireFormat.openAIError(.notFound, "The model `\(model)` does not exist.", type: "NotFoundError")
    }

    private func served(_ name: String) async -> Bool {
        if await state.isLoRA(name) { return true }
        return await state.localModel(name) != nil
    }

    func models() async -> Response {
        let created = Int(Date().timeIntervalSince1970)
        var data: [[String: Any]] = await state.pulledModels.map {
            ["id": $0.name, "object": "model", "created": created, "owned_by": "a4ps-scripted", "root": $0.name, "parent": NSNull()]
        }
        for lora in await state.loraList {
            data.append(["id": lora.name, "object": "model", "created": created, "owned_by": "a4ps-scripted", "root": lora.name, "parent": lora.base])
        }
        return WireFormat.response(json: ["object": "list", "data": data])
    }

    func completions(_ request: Request) async throws -> Response {
        guard let body = try await WireFormat.object(request) else {
            return WireFormat.openAIError(.badRequest, "invalid JSON body", type: "BadRequestError")
        }
        guard let name = body["model"] as? String, !name.isEmpty else {
            return WireFormat.openAIError(.badRequest, "model is required", type: "BadRequestError")
        }
        guard await served(name) else { return Self.notFound(name) }
        let messages = body["messages"] as? [[String: Any]] ?? []
        let stream = body["stream"] as? Bool ?? false
        let includeUsage = (body["stream_options"] as? [String: Any])?["include_usage"] as? Bool ?? false
        await state.countRequest(chat: true)
        let plan = await state.plan(model: name, prompt: OllamaRoutes.lastUserMessage(messages))
        switch plan.fault?.kind {
        case .http500:
            return WireFormat.openAIError(.internalServerError, plan.fault?.message ?? "scripted fault: internal server error", type: "InternalServerError")
        case .notFound: return Self.notFound(name)
        case .slowStart: try await Task.sleep(for: .milliseconds(plan.fault?.delayMilliseconds ?? 1000))
        default: break
        }
        let id = "chatcmpl-scripted-\(UInt32.random(in: 0...UInt32.max))"
        let created = Int(Date().timeIntervalSince1970)
        let promptTokens = messages.reduce(0) { $0 + WireFormat.wordCount($1["content"] as? String ?? "") }
        let usage: [String: Any] = ["prompt_tokens": promptTokens, "completion_tokens": plan.tokens.count, "total_tokens": promptTokens + plan.tokens.count]

        if !stream {
            if plan.tokenDelay > .zero { try await Task.sleep(for: plan.tokenDelay * plan.tokens.count) }
            if plan.fault?.kind == .errorLine {
                return WireFormat.openAIError(.internalServerError, plan.fault?.message ?? "scripted fault", type: "InternalServerError")
            }
            return WireFormat.response(json: [
                "id": id, "object": "chat.completion", "created": created, "model": name,
                "choices": [["index": 0, "message": ["role": "assistant", "content": plan.text], "finish_reason": "stop"] as [String: Any]],
                "usage": usage,
            ])
        }

        let escapedName = WireFormat.escape(name)
        let prefix = "data: {\"id\":\"\(id)\",\"object\":\"chat.completion.chunk\",\"created\":\(created),\"model\":\"\(escapedName)\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\""
        let suffix = "\"},\"finish_reason\":null}]}\n\n"
        let first = "data: {\"id\":\"\(id)\",\"object\":\"chat.completion.chunk\",\"created\":\(created),\"model\":\"\(escapedName)\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
        let finish = "data: {\"id\":\"\(id)\",\"object\":\"chat.completion.chunk\",\"created\":\(created),\"model\":\"\(escapedName)\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
        let usageLine = includeUsage
            ? "data: " + WireFormat.json(["id": id, "object": "chat.completion.chunk", "created": created, "model": name, "choices": [] as [Any], "usage": usage]) + "\n\n"
            : ""
        let emitter = TokenEmitter(
            plan: plan,
            line: { token in prefix + WireFormat.escape(token) + suffix },
            final: { finish + usageLine + "data: [DONE]\n\n" },
            errorLine: { message in
                "data: " + WireFormat.json(["error": ["message": message, "type": "InternalServerError", "code": 500] as [String: Any]]) + "\n\n"
            },
            afterError: "data: [DONE]\n\n")
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let opening = first
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await writer.write(ByteBuffer(string: ": a4ps-scripted-server\n\n" + opening))
            try await emitter.write(to: &writer)
        })
    }

    func embeddings(_ request: Request) async throws -> Response {
        guard let body = try await WireFormat.object(request), let name = body["model"] as? String else {
            return WireFormat.openAIError(.badRequest, "model is required", type: "BadRequestError")
        }
        guard let model = await state.localModel(name) else { return Self.notFound(name) }
        let inputs = (body["input"] as? String).map { [$0] } ?? (body["input"] as? [String] ?? [])
        await state.countRequest(chat: false)
        let dimensions = model.embeddingDimensions ?? state.script.embeddingDimensions
        let items = inputs.enumerated().map { index, text in
            "{\"object\":\"embedding\",\"index\":\(index),\"embedding\":\(HashedEmbedding.json(HashedEmbedding.vector(for: text, dimensions: dimensions)))}"
        }
        let tokens = inputs.reduce(0) { $0 + WireFormat.wordCount($1) }
        let text = "{\"object\":\"list\",\"model\":\"\(WireFormat.escape(name))\",\"data\":[\(items.joined(separator: ","))],\"usage\":{\"prompt_tokens\":\(tokens),\"total_tokens\":\(tokens)}}"
        return WireFormat.response(.ok, text: text, contentType: "application/json")
    }

    /// FastAPI's answer for a route vLLM did not add (runtime LoRA updating is off).
    static func routeNotFound() -> Response {
        WireFormat.response(.notFound, text: "{\"detail\":\"Not Found\"}", contentType: "application/json")
    }

    func loadLoRA(_ request: Request) async throws -> Response {
        let fault = state.script.adapterFault
        if fault?.kind == .noEndpoints { return Self.routeNotFound() }
        if fault?.kind == .refuse {
            return WireFormat.openAIError(.badRequest, fault?.message ?? "LoRA rank 32 is greater than max_lora_rank 16.", type: "BadRequestError")
        }
        guard let body = try await WireFormat.object(request), let name = body["lora_name"] as? String, let path = body["lora_path"] as? String else {
            return WireFormat.openAIError(.badRequest, "lora_name and lora_path are required", type: "BadRequestError")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return WireFormat.openAIError(.notFound, "No adapter found for \(path)", type: "NotFoundError")
        }
        let base = await state.pulledModels.first { $0.embeddingDimensions == nil }?.name ?? "unknown"
        guard await state.addLoRA(name: name, path: path, base: base) else {
            return WireFormat.openAIError(.badRequest, "The lora adapter '\(name)' has already been loaded.", type: "InvalidUserInput")
        }
        return WireFormat.response(.ok, text: "Success: LoRA adapter '\(name)' added successfully.")
    }

    func unloadLoRA(_ request: Request) async throws -> Response {
        if state.script.adapterFault?.kind == .noEndpoints { return Self.routeNotFound() }
        guard let body = try await WireFormat.object(request), let name = body["lora_name"] as? String else {
            return WireFormat.openAIError(.badRequest, "lora_name is required", type: "BadRequestError")
        }
        guard await state.removeLoRA(name: name) else {
            return WireFormat.openAIError(.notFound, "The lora adapter '\(name)' cannot be found.", type: "NotFoundError")
        }
        return WireFormat.response(.ok, text: "Success: LoRA adapter '\(name)' removed successfully.")
    }
}
