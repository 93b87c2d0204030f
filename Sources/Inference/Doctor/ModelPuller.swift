import AsyncHTTPClient

/// One step of pulling the configured models (``ModelPuller/pullAll()``).
public struct PullEvent: Sendable, Hashable {
    /// What happened.
    public enum Phase: Sendable, Hashable {
        case started
        case progress(PullProgress)
        case finished
        /// Not pulled, with the reason (an OpenAI-compatible server manages its own models).
        case skipped(String)
        case failed(String)
    }

    public var model: String
    /// The roles that use the model (`brick`, `embedding`).
    public var roles: [String]
    public var backend: String
    public var phase: Phase
}

/// Pulls every model `config.toml` names, one after another, reporting progress per model.
public struct ModelPuller: Sendable {
    public let config: A4PSConfig
    let httpClient: HTTPClient

    public init(config: A4PSConfig, httpClient: HTTPClient) {
        self.config = config
        self.httpClient = httpClient
    }

    /// The models to pull, each once, with the roles using it and its backend.
    public func plan() -> [(model: String, roles: [String], backend: BackendSettings)] {
        var order: [String] = []
        var entries: [String: (model: String, roles: [String], backend: BackendSettings)] = [:]
        for role in ModelNames.personas + ["embedding"] {
            guard let route = try? config.route(for: role) else { continue }
            let key = "\(route.backend.name)|\(route.model)"
            if entries[key] == nil {
                order.append(key)
                entries[key] = (route.model, [], route.backend)
            }
            entries[key]!.roles.append(role)
        }
        return order.map { entries[$0]! }
    }

    /// Pulls each model in turn. A failed model is reported as `.failed` and the next one is pulled;
    /// the stream throws only if the caller cancels it.
    public func pullAll() -> AsyncThrowingStream<PullEvent, any Error> {
        let plan = plan()
        let (stream, continuation) = AsyncThrowingStream<PullEvent, any Error>.makeStream()
        let task = Task {
            for item in plan {
                if Task.isCancelled { break }
                let event = { (phase: PullEvent.Phase) in
                    PullEvent(model: item.model, roles: item.roles, backend: item.backend.name, phase: phase)
                }
                guard item.backend.kind == .ollama else {
                    continuation.yield(event(.skipped("\(item.backend.name) is OpenAI-compatible: start it with \(item.model) (vLLM: `vllm serve \(item.model)`)")))
                    continue
                }
                let backend = BackendFactory.make(item.backend, httpClient: httpClient, inference: config.inference)
                continuation.yield(event(.started))
                do {
                    var succeeded = false
                    for try await progress in backend.pull(model: item.model) {
                        continuation.yield(event(.progress(progress)))
                        succeeded = succeeded || progress.isSuccess
                    }
                    continuation.yield(event(succeeded ? .finished : .failed("the server ended the pull without \"success\"")))
                } catch is CancellationError {
                    break
                } catch {
                    continuation.yield(event(.failed("\(error)")))
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }
}
