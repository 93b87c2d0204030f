import Foundation
import JSON
import MCP

extension JSONValue {
    /// The image's JSON for an MCP value (binary data becomes its `data:` URL, as MCP writes it).
    init(_ value: MCP.Value) {
        switch value {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .integer(Int64(i))
        case .double(let d): self = .number(d)
        case .string(let s): self = .string(s)
        case .data(let mimeType, let data):
            self = .string("data:\(mimeType ?? "application/octet-stream");base64,\(data.base64EncodedString())")
        case .array(let elements): self = .array(elements.map(JSONValue.init))
        case .object(let members): self = .object(members.mapValues(JSONValue.init))
        }
    }

    /// The MCP value for the image's JSON.
    var mcpValue: MCP.Value {
        switch self {
        case .null: .null
        case .bool(let b): .bool(b)
        case .integer(let i): Int(exactly: i).map { .int($0) } ?? .double(Double(i))
        case .number(let d): .double(d)
        case .string(let s): .string(s)
        case .array(let elements): .array(elements.map(\.mcpValue))
        case .object(let members): .object(members.mapValues(\.mcpValue))
        }
    }
}
