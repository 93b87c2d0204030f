import TOMLKit

extension JSONValue {
    /// The JSON form of a TOML value (dates and times become their TOML text).
    public init(toml value: any TOMLValueConvertible) {
        switch value.type {
        case .table:
            var members: [String: JSONValue] = [:]
            if let table = value.table {
                for (key, member) in table { members[key] = JSONValue(toml: member) }
            }
            self = .object(members)
        case .array: self = .array(value.array.map { $0.map { JSONValue(toml: $0) } } ?? [])
        case .string: self = value.string.map(JSONValue.string) ?? .null
        case .int: self = value.int.map { .integer(Int64($0)) } ?? .null
        case .double: self = value.double.map(JSONValue.number) ?? .null
        case .bool: self = value.bool.map(JSONValue.bool) ?? .null
        case .date, .time, .dateTime: self = .string(value.debugDescription)
        }
    }
}
