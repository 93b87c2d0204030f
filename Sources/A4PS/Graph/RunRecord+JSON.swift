import Foundation
import LivingImage

extension RunRecord {
    /// The run as the API and the MCP server show it.
    public var json: JSONValue {
        let iso = ISO8601DateFormatter()
        return ["id": .string(id), "graph": .string(graph), "status": .string(status.rawValue), "step": .int(step),
                "next": .string(next), "interrupt": interrupt ?? .null, "error": error.map { .string($0) } ?? .null,
                "forked_from": forkedFrom.map { .string($0) } ?? .null,
                "created_at": .string(iso.string(from: createdAt)), "updated_at": .string(iso.string(from: updatedAt))]
    }
}

extension Checkpoint {
    /// The checkpoint as the API shows it: step, node, next node, state and cost.
    public var json: JSONValue {
        ["step": .int(step), "node": node.map { .string($0) } ?? .null, "next": .string(next), "state": state,
         "at": .string(ISO8601DateFormatter().string(from: at)), "duration_ms": .number(durationMs), "model_loads": .int(modelLoads)]
    }
}
