/// Validates a JSON value against the subset of JSON Schema that structured model answers use.
///
/// Supported keywords: `type` (a name or a list of names), `properties`, `required`,
/// `additionalProperties: false`, `items`, `enum`, `const`, `minimum`, `maximum`,
/// `minLength`, `maxLength`, `minItems`, `maxItems`. Other keywords are ignored.
public struct JSONSchemaValidator: Sendable {
    /// One place where a value does not match its schema.
    public struct Violation: Sendable, Hashable, CustomStringConvertible {
        /// A JSON Pointer-like path to the offending value (`$` is the root).
        public let path: String
        public let message: String
        public var description: String { "\(path): \(message)" }
    }

    public let schema: JSONValue

    public init(schema: JSONValue) {
        self.schema = schema
    }

    /// Every violation found (empty when the value is valid).
    public func validate(_ value: JSONValue) -> [Violation] {
        var violations: [Violation] = []
        check(value, against: schema, path: "$", into: &violations)
        return violations
    }

    private func check(_ value: JSONValue, against schema: JSONValue, path: String, into violations: inout [Violation]) {
        guard case .object(let rules) = schema else { return }

        if let type = rules["type"] {
            let allowed: [String] = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
            if !allowed.isEmpty, !allowed.contains(where: { Self.matches(value, typeName: $0) }) {
                violations.append(.init(path: path, message: "expected \(allowed.joined(separator: " or ")), got \(value.schemaTypeName)"))
                return
            }
        }
        if let options = rules["enum"]?.arrayValue, !options.contains(value) {
            let listed = options.map(\.jsonText).joined(separator: ", ")
            violations.append(.init(path: path, message: "\(value.jsonText) is not one of [\(listed)]"))
        }
        if let constant = rules["const"], constant != value {
            violations.append(.init(path: path, message: "expected \(constant.jsonText)"))
        }

        switch value {
        case .integer, .number:
            let n = value.doubleValue!
            if let minimum = rules["minimum"], let low = minimum.doubleValue, n < low {
                violations.append(.init(path: path, message: "\(value.jsonText) is less than the minimum \(minimum.jsonText)"))
            }
            if let maximum = rules["maximum"], let high = maximum.doubleValue, n > high {
                violations.append(.init(path: path, message: "\(value.jsonText) is greater than the maximum \(maximum.jsonText)"))
            }
        case .string(let s):
            let length = s.count
            if let minLength = rules["minLength"]?.intValue, length < minLength {
                violations.append(.init(path: path, message: "string shorter than \(minLength) characters"))
            }
            if let maxLength = rules["maxLength"]?.intValue, length > maxLength {
                violations.append(.init(path: path, message: "string longer than \(maxLength) characters"))
            }
        case .array(let elements):
            if let minItems = rules["minItems"]?.intValue, elements.count < minItems {
                violations.append(.init(path: path, message: "array has fewer than \(minItems) items"))
            }
            if let maxItems = rules["maxItems"]?.intValue, elements.count > maxItems {
                violations.append(.init(path: path, message: "array has more than \(maxItems) items"))
            }
            if let itemSchema = rules["items"] {
                for (index, element) in elements.enumerated() {
                    check(element, against: itemSchema, path: "\(path)[\(index)]", into: &violations)
                }
            }
        case .object(let members):
            for name in rules["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
                violations.append(.init(path: path, message: "missing required property \"\(name)\""))
            }
            let properties = rules["properties"]?.objectValue ?? [:]
            for name in members.keys.sorted() {
                if let propertySchema = properties[name] {
                    check(members[name]!, against: propertySchema, path: "\(path).\(name)", into: &violations)
                } else if rules["additionalProperties"] == .bool(false) {
                    violations.append(.init(path: path, message: "unexpected property \"\(name)\""))
                }
            }
        case .null, .bool:
            break
        }
    }

    private static func matches(_ value: JSONValue, typeName: String) -> Bool {
        switch (typeName, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object),
            ("number", .number), ("number", .integer), ("integer", .integer):
            return true
        case ("integer", .number(let n)):
            return n.rounded() == n && n.isFinite
        default:
            return false
        }
    }
}
