import AsyncHTTPClient
import Foundation

/// Checks a configuration against the real servers: each backend reachable (and its version),
/// each role's model available, the VRAM budget against the models' sizes.
public struct Doctor: Sendable {
    public let config: A4PSConfig
    let httpClient: HTTPClient

    /// - Parameter httpClient: the caller's; use a short connect timeout so an absent server is reported fast.
    public init(config: A4PSConfig, httpClient: HTTPClient) {
        self.config = config
        self.httpClient = httpClient
    }

    /// Runs every check; never throws (problems are in the report).
    public func run() async -> DoctorReport {
        var inference = config.inference
        inference.retries = min(inference.retries, 1)
        inference.firstTokenTimeoutSeconds = min(inference.firstTokenTimeoutSeconds, 15)

        var backendChecks: [DoctorReport.BackendCheck] = []
        var available: [String: [String: Int64?]] = [:]  // backend -> model -> size
        var actions: [String] = []
        for settings in config.usedBackends() {
            let backend = BackendFactory.make(settings, httpClient: httpClient, inference: inference)
            var check = DoctorReport.BackendCheck(name: settings.name, kind: settings.kind, url: settings.host)
            do {
                check.version = try await backend.version()
                let models = try await backend.listModels()
                var sizes: [String: Int64?] = [:]
                for model in models { sizes[model.name] = model.sizeBytes }
                available[settings.name] = sizes
            } catch {
                check.problem = "\(error)"
                actions.append("\(error)")
            }
            backendChecks.append(check)
        }

        var modelChecks: [DoctorReport.ModelCheck] = []
        var budgetModels: [String: [String: Int64]] = [:]
        for role in ModelNames.personas + ["embedding"] {
            guard let route = try? config.route(for: role) else { continue }
            let status: DoctorReport.ModelStatus
            if let sizes = available[route.backend.name] {
                if let size = Self.lookup(route.model, in: sizes) {
                    status = .available(sizeBytes: size)
                    if let size { budgetModels[route.backend.name, default: [:]][route.model] = size }
                } else {
                    status = .missing
                    switch route.backend.kind {
                    case .ollama:
                        actions.append("Pull \(route.model) for \(role.uppercased()): `ollama pull \(route.model)` (or `a4ps models pull`)")
                    case .openai:
                        actions.append("\(route.backend.name) at \(route.backend.host) does not serve \(route.model) for \(role.uppercased()) — start it with that model or change [models] \(role)")
                    }
                }
            } else {
                status = .unknown
            }
            modelChecks.append(.init(role: role, model: route.model, backend: route.backend.name, backendKind: route.backend.kind, status: status))
        }

        var budgets: [DoctorReport.BudgetCheck] = []
        for settings in config.usedBackends() where settings.kind == .ollama {
            let budgetBytes = Int64(((settings.vramGB ?? config.scheduler.vramGB) * 1e9).rounded())
            let check = DoctorReport.BudgetCheck(backend: settings.name, budgetBytes: budgetBytes,
                                                 modelBytes: budgetModels[settings.name] ?? [:], policy: config.scheduler.policy)
            for model in check.tooLarge {
                actions.append("\(model) needs \(DoctorReport.gigabytes(check.modelBytes[model]!)) but the VRAM budget of \(settings.name) is \(DoctorReport.gigabytes(budgetBytes)) — pick a smaller quantization or raise vram_gb if the GPU has room")
            }
            budgets.append(check)
        }
        return DoctorReport(backends: backendChecks, models: modelChecks, budgets: budgets, actions: actions,
                            configSource: config.sourcePath ?? "defaults (no config.toml)")
    }

    /// Ollama names `mistral:7b-instruct`; a name without a tag means `:latest`.
    static func lookup(_ model: String, in sizes: [String: Int64?]) -> Int64?? {
        if let size = sizes[model] { return .some(size) }
        if !model.contains(":"), let size = sizes[model + ":latest"] { return .some(size) }
        return nil
    }
}
