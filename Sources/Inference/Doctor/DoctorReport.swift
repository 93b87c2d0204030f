/// What `a4ps doctor` found: each backend, each role's model, the VRAM budget, and what to do.
public struct DoctorReport: Sendable, Hashable {
    /// One model server.
    public struct BackendCheck: Sendable, Hashable {
        public var name: String
        public var kind: BackendKind
        public var url: String
        public var version: String?
        /// Why it could not be reached (nil when reachable).
        public var problem: String?
        public var isReachable: Bool { problem == nil }
    }

    /// Whether a role's model is available on its server.
    public enum ModelStatus: Sendable, Hashable {
        case available(sizeBytes: Int64?)
        case missing
        /// The server could not be asked.
        case unknown
    }

    /// One role's model.
    public struct ModelCheck: Sendable, Hashable {
        public var role: String
        public var model: String
        public var backend: String
        public var backendKind: BackendKind
        public var status: ModelStatus
    }

    /// The VRAM budget of one server against the models it serves.
    public struct BudgetCheck: Sendable, Hashable {
        public var backend: String
        public var budgetBytes: Int64
        /// Sizes of the models served there (`/api/tags` size; missing models are left out).
        public var modelBytes: [String: Int64]
        public var policy: SchedulingPolicy
        /// Models larger than the budget on their own.
        public var tooLarge: [String] { modelBytes.filter { $0.value > budgetBytes }.keys.sorted() }
        /// Whether all of them fit at once (then nothing is ever evicted).
        public var allFit: Bool { modelBytes.values.reduce(0, +) <= budgetBytes }
    }

    public var backends: [BackendCheck]
    public var models: [ModelCheck]
    public var budgets: [BudgetCheck]
    /// What to do, most important first; empty when all is well.
    public var actions: [String]
    /// Where the settings came from.
    public var configSource: String

    /// True when every backend answers and every model is available and fits.
    public var isHealthy: Bool { actions.isEmpty }

    /// A plain-text listing for a terminal.
    public func rendered() -> String {
        var lines: [String] = ["a4ps doctor — configuration: \(configSource)", "", "Backends:"]
        for backend in backends {
            let state = backend.problem.map { "NOT REACHABLE — \($0)" } ?? "ok, version \(backend.version ?? "unknown")"
            lines.append("  \(backend.isReachable ? "✓" : "✗") \(backend.name) (\(backend.kind.rawValue)) \(backend.url): \(state)")
        }
        lines.append("")
        lines.append("Models:")
        for model in models {
            let state: String
            let mark: String
            switch model.status {
            case .available(let size):
                mark = "✓"
                state = "available" + (size.map { ", \(Self.gigabytes($0))" } ?? "")
            case .missing:
                mark = "✗"
                state = model.backendKind == .ollama ? "not pulled" : "not served"
            case .unknown:
                mark = "?"
                state = "unknown (backend not reachable)"
            }
            lines.append("  \(mark) \(model.role.padding(toLength: 9, withPad: " ", startingAt: 0)) \(model.model) on \(model.backend): \(state)")
        }
        for budget in budgets {
            lines.append("")
            lines.append("VRAM budget on \(budget.backend): \(Self.gigabytes(budget.budgetBytes)), policy \(budget.policy.rawValue)")
            let total = budget.modelBytes.values.reduce(0, +)
            lines.append("  models: \(Self.gigabytes(total)) together, largest \(budget.modelBytes.values.max().map(Self.gigabytes) ?? "n/a")")
            if budget.allFit {
                lines.append("  all models fit at once: after the first loads nothing is evicted")
            } else {
                lines.append("  not all fit at once: models are swapped (\(budget.policy == .budget ? "least recently used is evicted" : "one at a time"))")
            }
        }
        lines.append("")
        if actions.isEmpty {
            lines.append("All good.")
        } else {
            lines.append("To do:")
            for (index, action) in actions.enumerated() { lines.append("  \(index + 1). \(action)") }
        }
        return lines.joined(separator: "\n")
    }

    static func gigabytes(_ bytes: Int64) -> String {
        let gb = Double(bytes) / 1e9
        return "\((gb * 10).rounded() / 10) GB"
    }
}
