import Foundation

/// The router's residency API (llama-server `--models-preset`): `GET /models` says which models
/// are loaded, `POST /models/load` and `/models/unload` change it. The scheduler drives these as it
/// drives Ollama's; sizes are the model files', the closest the router reports to memory in use.
extension EmbeddedBackend {
    /// How long a model may take to load before the load is a failure.
    static let loadDeadline: Duration = .seconds(120)

    public func listModels() async throws -> [ModelInfo] {
        try await routerModels().map { ModelInfo(name: $0.name, sizeBytes: $0.bytes) }
    }

    /// The models the router holds (loaded or loading).
    public func runningModels() async throws -> [RunningModel] {
        try await routerModels().filter { $0.status == "loaded" || $0.status == "loading" }
            .map { RunningModel(name: $0.name, sizeBytes: $0.bytes ?? 0, sizeVRAMBytes: 0) }
    }

    /// Asks the router to load the model and waits until it has.
    public func load(model: String, keepAlive: KeepAlive) async throws -> LoadReport {
        let name = servedName(model)
        let start = ContinuousClock.now
        let backend = try await backend()
        do {
            _ = try await backend.transport.json(.POST, "/models/load", body: ["model": .string(name)], model: name)
        } catch let error as InferenceError where error.message.contains("already running") {
            // Loaded (or loading) already: wait for it below like any other load.
        }
        while true {
            let entry = try await routerModels().first { $0.name == name }
            guard let entry else {
                throw InferenceError.modelNotFound(kind: .openai, url: baseURL, model: name, status: 404,
                                                   serverMessage: "not in the embedded server's models preset")
            }
            if entry.status == "loaded" { break }
            if entry.failed || entry.status == "unloaded" && ContinuousClock.now - start > .seconds(5) {
                throw InferenceError(.unreachable, "the embedded server could not load \(name) — see \(server.logPath)",
                                     url: baseURL, model: name)
            }
            if ContinuousClock.now - start > Self.loadDeadline {
                throw InferenceError(.timeout, "the embedded server did not load \(name) within \(Self.loadDeadline) — see \(server.logPath)",
                                     url: baseURL, model: name)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return LoadReport(model: model, duration: ContinuousClock.now - start, serverLoadDuration: nil)
    }

    /// Asks the router to unload the model; one it does not run is reported as not found.
    public func unload(model: String) async throws {
        let name = servedName(model)
        do {
            _ = try await backend().transport.json(.POST, "/models/unload", body: ["model": .string(name)], model: name)
        } catch let error as InferenceError where error.message.contains("not running") || error.message.contains("not found") {
            throw InferenceError.modelNotFound(kind: .openai, url: baseURL, model: name, status: 404, serverMessage: error.message)
        }
    }

    /// One entry of the router's `GET /models`.
    struct RouterModel: Sendable {
        var name: String
        var status: String
        var failed: Bool
        var bytes: Int64?
    }

    func routerModels() async throws -> [RouterModel] {
        let json = try await backend().transport.json(.GET, "/models")
        return (json["data"]?.arrayValue ?? []).compactMap { entry in
            guard let id = entry["id"]?.stringValue else { return nil }
            let status = entry["status"]?["value"]?.stringValue ?? "unloaded"
            return RouterModel(name: id, status: status, failed: entry["status"]?["failed"]?.boolValue ?? false,
                               bytes: server.file(servedAs: id).flatMap(LocalModelInstall.fileSize(atPath:)))
        }
    }
}
