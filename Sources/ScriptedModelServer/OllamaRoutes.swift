import Foundation
import Hummingbird

/// Ollama's API, answered from the script: chat, generate, embed, ps, tags, pull, delete, version; blobs,
/// create and show in `OllamaRoutes+Adapters.swift`.
struct OllamaRoutes: Sendable {
    let state: ScriptedServerState

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/version") { _, _ in WireFormat.response(json: ["version": state.script.ollamaVersion ?? ScriptedModelServer.version]) }
        router.get("/api/tags") { _, _ in await tags() }
        router.get("/api/ps") { _, _ in await ps() }
        router.post("/api/chat") { request, _ in try await generate(request, chat: true) }
        router.post("/api/generate") { request, _ in try await generate(request, chat: false) }
        router.post("/api/embed") { request, _ in try await embed(request, legacy: false) }
        router.post("/api/embeddings") { request, _ in try await embed(request, legacy: true) }
        router.post("/api/pull") { request, _ in try await pull(request) }
        router.head("/api/blobs/:digest") { _, context in await blobHead(context.parameters.get("digest") ?? "") }
        router.post("/api/blobs/:digest") { request, context in try await blobPost(request, digest: context.parameters.get("digest") ?? "") }
        router.post("/api/create") { request, _ in try await create(request) }
        router.post("/api/show") { request, _ in try await show(request) }
        router.delete("/api/delete") { request, _ in try await delete(request) }
    }

    static func details(_ model: Script.Model) -> [String: Any] {
        ["format": "gguf", "family": model.family ?? "scripted", "families": [model.family ?? "scripted"],
         "parameter_size": model.parameterSize ?? "unknown", "quantization_level": model.quantization ?? "unknown",
         "parent_model": ""]
    }

    func tags() async -> Response {
        let models = await state.pulledModels.map { model -> [String: Any] in
            ["name": model.name, "model": model.name, "modified_at": WireFormat.timestamp(), "size": model.sizeBytes,
             "digest": WireFormat.digest(for: model.name), "details": Self.details(model)]
        }
        return WireFormat.response(json: ["models": models])
    }

    func ps() async -> Response {
        var models: [[String: Any]] = []
        for entry in await state.running() {
            let model = await state.knownModel(entry.name)
            models.append([
                "name": entry.name, "model": entry.name, "size": entry.bytes, "size_vram": entry.bytes,
                "digest": WireFormat.digest(for: entry.name), "details": model.map(Self.details) ?? [:],
                // Ollama reports "forever" as a date far in the future.
                "expires_at": WireFormat.timestamp(entry.expiresAt ?? Date(timeIntervalSince1970: 11_000_000_000)),
                "context_length": model?.contextLength ?? 4096,
            ])
        }
        return WireFormat.response(json: ["models": models])
    }

    static func notFound(_ model: String) -> Response {
        WireFormat.ollamaError(.notFound, "model \"\(model)\" not found, try pulling it first")
    }

    /// `/api/chat` (messages) and `/api/generate` (prompt).
    func generate(_ request: Request, chat: Bool) async throws -> Response {
        guard let body = try await WireFormat.object(request) else { return WireFormat.ollamaError(.badRequest, "invalid JSON body") }
        guard let name = body["model"] as? String, !name.isEmpty else { return WireFormat.ollamaError(.badRequest, "model is required") }
        let messages = body["messages"] as? [[String: Any]] ?? []
        let promptText = body["prompt"] as? String ?? ""
        let stream = body["stream"] as? Bool ?? true
        let keepAlive = WireFormat.keepAliveSeconds(body["keep_alive"])
        guard let model = await state.localModel(name) else { return Self.notFound(name) }
        let created = WireFormat.timestamp()
        let escapedName = WireFormat.escape(name)

        // No messages (or no prompt): load, or unload with keep_alive 0.
        if (chat && messages.isEmpty) || (!chat && promptText.isEmpty) {
            var object: [String: Any] = ["model": name, "created_at": created, "done": true]
            if chat { object["message"] = ["role": "assistant", "content": ""] } else { object["response"] = "" }
            if keepAlive == 0 {
                await state.unload(name)
                object["done_reason"] = "unload"
            } else {
                let loadTime = await state.beginUse(model)
                await state.endUse(name, keepAlive: keepAlive)
                object["done_reason"] = "load"
                object["load_duration"] = Self.nanoseconds(loadTime)
                object["total_duration"] = Self.nanoseconds(loadTime)
            }
            return WireFormat.response(json: object)
        }

        await state.countRequest(chat: true)
        let prompt = chat ? Self.lastUserMessage(messages) : promptText
        let promptTokens = chat ? messages.reduce(0) { $0 + WireFormat.wordCount($1["content"] as? String ?? "") } : WireFormat.wordCount(promptText)
        let plan = await state.plan(model: name, prompt: prompt)
        switch plan.fault?.kind {
        case .http500: return WireFormat.ollamaError(.internalServerError, plan.fault?.message ?? "scripted fault: internal server error")
        case .notFound: return Self.notFound(name)
        case .slowStart: try await Task.sleep(for: .milliseconds(plan.fault?.delayMilliseconds ?? 1000))
        default: break
        }
        let loadTime = await state.beginUse(model)
        let started = ContinuousClock.now
        let state = self.state
        let key = chat ? "message" : "response"

        let finalObject: @Sendable (String) -> [String: Any] = { content in
            let evalTime = ContinuousClock.now - started
            var object: [String: Any] = [
                "model": name, "created_at": created, "done": true, "done_reason": "stop",
                "total_duration": Self.nanoseconds(loadTime + evalTime), "load_duration": Self.nanoseconds(loadTime),
                "prompt_eval_count": promptTokens, "prompt_eval_duration": 1000,
                "eval_count": plan.tokens.count, "eval_duration": max(1, Self.nanoseconds(evalTime)),
            ]
            object[key] = chat ? ["role": "assistant", "content": content] as [String: Any] : content
            return object
        }

        if !stream {
            if plan.tokenDelay > .zero { try await Task.sleep(for: plan.tokenDelay * plan.tokens.count) }
            await state.endUse(name, keepAlive: keepAlive)
            if plan.fault?.kind == .errorLine { return WireFormat.ollamaError(.internalServerError, plan.fault?.message ?? "scripted fault") }
            return WireFormat.response(json: finalObject(plan.text))
        }

        let prefix = chat
            ? "{\"model\":\"\(escapedName)\",\"created_at\":\"\(created)\",\"message\":{\"role\":\"assistant\",\"content\":\""
            : "{\"model\":\"\(escapedName)\",\"created_at\":\"\(created)\",\"response\":\""
        let suffix = chat ? "\"},\"done\":false}\n" : "\",\"done\":false}\n"
        let emitter = TokenEmitter(
            plan: plan,
            line: { token in prefix + WireFormat.escape(token) + suffix },
            final: { WireFormat.json(finalObject("")) + "\n" },
            errorLine: { message in WireFormat.json(["error": message]) + "\n" })
        var headers = HTTPFields()
        headers[.contentType] = "application/x-ndjson"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            do {
                try await emitter.write(to: &writer)
            } catch {
                await state.endUse(name, keepAlive: keepAlive)
                throw error
            }
            await state.endUse(name, keepAlive: keepAlive)
        })
    }

    static func lastUserMessage(_ messages: [[String: Any]]) -> String {
        messages.last { ($0["role"] as? String) == "user" }?["content"] as? String ?? messages.last?["content"] as? String ?? ""
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    func embed(_ request: Request, legacy: Bool) async throws -> Response {
        guard let body = try await WireFormat.object(request) else { return WireFormat.ollamaError(.badRequest, "invalid JSON body") }
        guard let name = body["model"] as? String, !name.isEmpty else { return WireFormat.ollamaError(.badRequest, "model is required") }
        let inputs: [String]
        if legacy {
            inputs = [body["prompt"] as? String ?? ""]
        } else if let one = body["input"] as? String {
            inputs = [one]
        } else {
            inputs = body["input"] as? [String] ?? []
        }
        guard let model = await state.localModel(name) else { return Self.notFound(name) }
        await state.countRequest(chat: false)
        let plan = await state.plan(model: name, prompt: inputs.first ?? "")
        if plan.fault?.kind == .http500 { return WireFormat.ollamaError(.internalServerError, plan.fault?.message ?? "scripted fault: internal server error") }
        let loadTime = await state.beginUse(model)
        await state.endUse(name, keepAlive: WireFormat.keepAliveSeconds(body["keep_alive"]))
        let dimensions = (body["dimensions"] as? Int) ?? model.embeddingDimensions ?? state.script.embeddingDimensions
        let vectors = inputs.map { HashedEmbedding.json(HashedEmbedding.vector(for: $0, dimensions: dimensions)) }
        let text = legacy
            ? "{\"embedding\":\(vectors.first ?? "[]")}"
            : "{\"model\":\"\(WireFormat.escape(name))\",\"embeddings\":[\(vectors.joined(separator: ","))],\"total_duration\":\(Self.nanoseconds(loadTime) + 1000),\"load_duration\":\(Self.nanoseconds(loadTime)),\"prompt_eval_count\":\(inputs.reduce(0) { $0 + WireFormat.wordCount($1) })}"
        return WireFormat.response(.ok, text: text, contentType: "application/json; charset=utf-8")
    }

    func pull(_ request: Request) async throws -> Response {
        guard let body = try await WireFormat.object(request) else { return WireFormat.ollamaError(.badRequest, "invalid JSON body") }
        guard let name = (body["model"] as? String) ?? (body["name"] as? String), !name.isEmpty else {
            return WireFormat.ollamaError(.badRequest, "model is required")
        }
        let stream = body["stream"] as? Bool ?? true
        let state = self.state
        var found = await state.knownModel(name)
        if found == nil, !name.contains(":") { found = await state.knownModel(name + ":latest") }
        guard let model = found else {
            if !stream { return WireFormat.ollamaError(.internalServerError, "pull model manifest: file does not exist") }
            return ndjson([WireFormat.json(["status": "pulling manifest"]), WireFormat.json(["error": "pull model manifest: file does not exist"])])
        }
        let digest = WireFormat.digest(for: model.name)
        let total = model.sizeBytes
        var lines = [WireFormat.json(["status": "pulling manifest"]), WireFormat.json(["status": "pulling \(digest)", "digest": digest, "total": total])]
        for step in 1...4 {
            lines.append(WireFormat.json(["status": "pulling \(digest)", "digest": digest, "total": total, "completed": total * Int64(step) / 4]))
        }
        if let error = model.pullError {
            // A failure mid-stream: some progress, then an error line with HTTP 200; nothing is pulled.
            let sent = Array(lines.prefix(2 + max(0, model.pullErrorAfter ?? 2)))
            if !stream { return WireFormat.ollamaError(.internalServerError, error) }
            return ndjson(sent + [WireFormat.json(["error": error])])
        }
        lines += [WireFormat.json(["status": "verifying sha256 digest"]), WireFormat.json(["status": "writing manifest"]), WireFormat.json(["status": "success"])]
        await state.markPulled(model.name)
        if !stream { return WireFormat.response(json: ["status": "success"]) }
        return ndjson(lines)
    }

    func ndjson(_ lines: [String]) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/x-ndjson"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            for line in lines {
                try await writer.write(ByteBuffer(string: line + "\n"))
                try await Task.sleep(for: .milliseconds(2))
            }
            try await writer.finish(nil)
        })
    }

    func delete(_ request: Request) async throws -> Response {
        guard let body = try await WireFormat.object(request), let name = (body["model"] as? String) ?? (body["name"] as? String) else {
            return WireFormat.ollamaError(.badRequest, "model is required")
        }
        guard await state.localModel(name) != nil else { return WireFormat.ollamaError(.notFound, "model '\(name)' not found") }
        await state.delete(name)
        return Response(status: .ok)
    }
}
