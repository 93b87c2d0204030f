import A4PS
import Foundation
import LivingImage
import MCP

/// The resources the MCP server offers: `a4ps://protos/{name}` (each proto's self-description)
/// and `a4ps://runs/{id}` (a deliberation run: where it stands, its steps and its last state).
struct ImageResources: Sendable {
    let runtime: Runtime
    /// How many recent runs `resources/list` names (older ones can still be read by their URI).
    let recentRuns: Int

    static let protoPrefix = "a4ps://protos/"
    static let runPrefix = "a4ps://runs/"

    /// What `resources/templates/list` answers.
    static let templates: [Resource.Template] = [
        Resource.Template(uriTemplate: protoPrefix + "{name}", name: "proto", title: "A proto",
                          description: "A proto's self-description: slots, methods with doc strings, parent chain, codex, version.",
                          mimeType: "application/json"),
        Resource.Template(uriTemplate: runPrefix + "{id}", name: "run", title: "A deliberation run",
                          description: "A run: its graph, status, steps (node, duration, model loads) and last state.",
                          mimeType: "application/json"),
    ]

    /// Every proto, then the most recent runs.
    func list() async throws -> [Resource] {
        let protos = runtime.image.memory.snapshot().values.sorted { $0.name < $1.name }.map { proto in
            Resource(name: proto.name, uri: Self.protoPrefix + Self.escape(proto.name), title: "Proto \(proto.name)",
                     description: "\(proto.name) (version \(proto.version), parent \(proto.parent ?? "none")): "
                        + "\(proto.methods.count) methods, \(proto.slots.count) slots",
                     mimeType: "application/json")
        }
        let runs = try await runtime.runner.runs(limit: recentRuns).map { run in
            Resource(name: "run \(run.id)", uri: Self.runPrefix + Self.escape(run.id), title: "Run \(run.id)",
                     description: "\(run.graph): \(run.status.rawValue) at step \(run.step), "
                        + "updated \(run.updatedAt.formatted(.iso8601))",
                     mimeType: "application/json")
        }
        return protos + runs
    }

    /// The contents of one resource; an unknown URI is the protocol's "resource not found" error,
    /// with a message saying where the known ones are listed.
    func read(_ uri: String) async throws -> [Resource.Content] {
        if let name = Self.suffix(of: uri, after: Self.protoPrefix) {
            guard let description = try? runtime.image.describe(name) else {
                throw Self.notFound("there is no proto named '\(name)'; resources/list names every proto (\(Self.protoPrefix)NAME)")
            }
            return [.text(description.prettyText, uri: uri, mimeType: "application/json")]
        }
        if let id = Self.suffix(of: uri, after: Self.runPrefix) {
            guard let run = try await runtime.runner.run(id) else {
                throw Self.notFound("there is no run '\(id)'; resources/list names the recent runs (\(Self.runPrefix)ID)")
            }
            let history = try await runtime.runner.history(id)
            return [.text(Self.json(run, history).prettyText, uri: uri, mimeType: "application/json")]
        }
        throw Self.notFound("'\(uri)' is not an a4ps resource; use \(Self.protoPrefix)NAME or \(Self.runPrefix)ID")
    }

    // MARK: Helpers

    /// A run as the API shows it (``RunRecord/json``), with its checkpoints and its latest state.
    static func json(_ run: RunRecord, _ history: [Checkpoint]) -> JSONValue {
        var object = run.json.objectValue ?? [:]
        object["steps"] = .array(history.map { checkpoint in
            var step = checkpoint.json.objectValue ?? [:]
            step["state"] = nil
            return .object(step)
        })
        object["state"] = history.last?.state ?? .null
        return .object(object)
    }

    /// The MCP error code for "resource not found".
    static func notFound(_ message: String) -> MCPError {
        .serverError(code: -32002, message: message)
    }

    static func suffix(of uri: String, after prefix: String) -> String? {
        guard uri.hasPrefix(prefix) else { return nil }
        let rest = String(uri.dropFirst(prefix.count))
        guard !rest.isEmpty, !rest.contains("/") else { return nil }
        return rest.removingPercentEncoding ?? rest
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? text
    }
}
