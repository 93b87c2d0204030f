import Foundation

extension ModelManager {
    /// Streams a persona's answer: ``ThinkUpdate/delta(_:)`` pieces, then ``ThinkUpdate/finished(_:)``.
    /// Cancelling the consuming task (or dropping the stream) cancels the call.
    public nonisolated func stream(
        _ binding: PersonaBinding, messages: [ChatMessage], options: ThinkOptions = ThinkOptions(), runID: String = UUID().uuidString
    ) -> AsyncThrowingStream<ThinkUpdate, any Error> {
        let (stream, continuation) = AsyncThrowingStream<ThinkUpdate, any Error>.makeStream()
        let task = Task {
            do {
                let result = try await self.chat(binding, messages: messages, options: options, runID: runID) { delta in
                    continuation.yield(.delta(delta))
                }
                continuation.yield(.finished(result))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Asks a persona one question (`think(prompt, opts)` of a Lua method).
    public nonisolated func think(
        _ binding: PersonaBinding, prompt: String, options: ThinkOptions = ThinkOptions(), runID: String = UUID().uuidString,
        onDelta: (@Sendable (ThinkDelta) -> Void)? = nil
    ) async throws -> ThinkResult {
        try await chat(binding, messages: [.user(prompt)], options: options, runID: runID, onDelta: onDelta)
    }

    /// Runs a persona's call to its end: schedules its model, streams the answer (publishing
    /// ``ModelEvent/delta(_:)`` events and calling `onDelta`), and for a schema validates the JSON,
    /// asking again once with the violations before failing with `.schemaValidationFailed`.
    public nonisolated func chat(
        _ binding: PersonaBinding, messages: [ChatMessage], options: ThinkOptions = ThinkOptions(), runID: String = UUID().uuidString,
        onDelta: (@Sendable (ThinkDelta) -> Void)? = nil
    ) async throws -> ThinkResult {
        let persona = binding.persona
        guard let model = binding.model ?? model(for: persona) else {
            throw InferenceError(.unknownPersona,
                "No model is bound to '\(persona)' — give the persona a model binding, or name it in [models] of config.toml")
        }
        let key = await serverKey(for: persona)
        let backend = servers[key]!.backend
        var conversation = (binding.systemPrompt.map { [ChatMessage.system($0)] } ?? []) + messages
        let format: ResponseFormat? = options.schema.map { .schema($0) } ?? (options.json ? .json : nil)
        let attempts = format == nil ? 1 : 1 + max(0, options.schemaRetries)
        let validator = options.schema.map(JSONSchemaValidator.init(schema:))

        for attempt in 1...attempts {
            let (text, usage) = try await generate(
                persona: persona, runID: runID, model: model, serverKey: key, backend: backend, messages: conversation,
                generation: options.generation, format: format, attempt: attempt, onDelta: onDelta)
            guard format != nil else {
                return ThinkResult(persona: persona, runID: runID, model: model, text: text, json: nil, usage: usage, attempts: attempt)
            }
            let problems: [String]
            var parsed: JSONValue?
            do {
                let value = try JSONParser.parse(Self.stripCodeFence(text))
                parsed = value
                problems = validator?.validate(value).map(\.description) ?? []
            } catch {
                problems = ["the answer is not valid JSON (\(error.description))"]
            }
            if problems.isEmpty, let parsed {
                return ThinkResult(persona: persona, runID: runID, model: model, text: text, json: parsed, usage: usage, attempts: attempt)
            }
            if attempt < attempts {
                hub.publish(.schemaRetry(persona: persona, runID: runID, violations: problems))
                conversation.append(.assistant(text))
                conversation.append(.user(
                    "Your answer did not match the required JSON Schema: \(problems.joined(separator: "; ")). "
                        + "Answer again with only a JSON value that matches the schema."))
                continue
            }
            var error = InferenceError(.schemaValidationFailed,
                "The answer of '\(persona)' (\(model)) did not match the requested JSON Schema after \(attempts) attempt(s): "
                    + "\(problems.joined(separator: "; ")) — simplify the schema, lower the temperature or bind a stronger model",
                url: backend.baseURL, model: model)
            error.violations = validator.map { v in parsed.map { v.validate($0) } ?? [] } ?? []
            error.rejectedText = text
            throw error
        }
        preconditionFailure("unreachable: the attempt loop returns or throws")
    }

    private nonisolated func generate(
        persona: String, runID: String, model: String, serverKey: String, backend: any ModelBackend, messages: [ChatMessage],
        generation: GenerationOptions, format: ResponseFormat?, attempt: Int, onDelta: (@Sendable (ThinkDelta) -> Void)?
    ) async throws -> (String, TokenUsage?) {
        let lease = try await acquire(model: model, serverKey: serverKey)
        let keepAlive: KeepAlive? = lease.managed ? (policy == .sequential ? .unloadImmediately : self.keepAlive) : nil
        let request = ChatRequest(model: model, messages: messages, options: generation, format: format, keepAlive: keepAlive)
        hub.publish(.callStarted(persona: persona, runID: runID, model: model, messages: messages))
        var text = ""
        var usage: TokenUsage?
        do {
            for try await chunk in backend.chatStream(request) {
                if !chunk.content.isEmpty {
                    text += chunk.content
                    let delta = ThinkDelta(persona: persona, runID: runID, text: chunk.content, attempt: attempt)
                    hub.publish(.delta(delta))
                    onDelta?(delta)
                }
                if let chunkUsage = chunk.usage { usage = chunkUsage }
            }
        } catch {
            await release(lease, succeeded: false)
            await record(model: model, usage: nil, failed: true)
            hub.publish(.callFailed(persona: persona, runID: runID, model: model, message: "\(error)"))
            throw error
        }
        await release(lease, succeeded: true)
        await record(model: model, usage: usage, failed: false)
        hub.publish(.callFinished(persona: persona, runID: runID, model: model, usage: usage))
        return (text, usage)
    }

    /// The longest text embedded in one piece; longer ones are embedded passage by passage and
    /// their vectors averaged (see ``EmbeddingPassages``). 1,000 characters stay within the
    /// 512-token context of small embedding models (all-MiniLM-L6-v2, nomic-embed-text's default).
    public static let embedPassageCharacters = 1_000

    /// Embeds texts with the `embedding` model, in batches of `[inference] embed_batch_size`; a
    /// long text is split into passages that fit the model, every passage embedded.
    public nonisolated func embed(_ texts: [String]) async throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let bounded = EmbeddingPassages(texts, maxCharacters: Self.embedPassageCharacters)
        return bounded.combine(try await embedPassages(bounded.passages))
    }

    private nonisolated func embedPassages(_ texts: [String]) async throws -> [[Float]] {
        guard let model = model(for: "embedding") else {
            throw InferenceError(.unknownPersona, "No embedding model is configured — set [models] embedding in config.toml")
        }
        let key = await serverKey(for: "embedding")
        let backend = servers[key]!.backend
        let lease = try await acquire(model: model, serverKey: key)
        var vectors: [[Float]] = []
        vectors.reserveCapacity(texts.count)
        do {
            var start = 0
            while start < texts.count {
                let end = min(texts.count, start + embedBatchSize)
                let last = end == texts.count
                let keepAlive: KeepAlive? = lease.managed ? (policy == .sequential && last ? .unloadImmediately : self.keepAlive) : nil
                vectors += try await backend.embed(model: model, inputs: Array(texts[start..<end]), keepAlive: keepAlive)
                start = end
            }
        } catch {
            await release(lease, succeeded: false)
            await record(model: model, usage: nil, failed: true)
            throw error
        }
        await release(lease, succeeded: true)
        await record(model: model, usage: nil, failed: false)
        return vectors
    }

    /// Models often wrap JSON in a Markdown fence even when told not to; the fence is not part of the answer.
    nonisolated static func stripCodeFence(_ text: String) -> String {
        var trimmed = text.trimming(" \n\r\t")
        guard trimmed.hasPrefix("```") else { return trimmed }
        if let newline = trimmed.firstIndex(of: "\n") { trimmed = String(trimmed[trimmed.index(after: newline)...]) }
        if trimmed.hasSuffix("```") { trimmed.removeLast(3) }
        return trimmed.trimming(" \n\r\t")
    }
}
