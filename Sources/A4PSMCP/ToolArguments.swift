import Foundation
import JSON
import MCP

/// The arguments of one tool call, read by name with the checks a client's mistake needs: each
/// getter throws an ``MCPToolError`` `.badArguments` that says which argument and what it takes.
struct ToolArguments: Sendable {
    let tool: String
    let values: [String: MCP.Value]

    /// Refuses arguments the tool does not take (a misspelt name would otherwise be ignored silently).
    init(tool: String, values: [String: MCP.Value]?, allowed: Set<String>) throws(MCPToolError) {
        self.tool = tool
        self.values = values ?? [:]
        let unexpected = self.values.keys.filter { !allowed.contains($0) }.sorted()
        guard unexpected.isEmpty else {
            throw MCPToolError(.badArguments, "\(tool) takes no argument \(unexpected.map { "'\($0)'" }.joined(separator: ", ")); "
                + "its arguments are \(allowed.sorted().joined(separator: ", "))")
        }
    }

    /// A required, non-empty string; `hint` says what it is (e.g. "a proto's name, e.g. BRICK").
    func requiredString(_ name: String, hint: String) throws(MCPToolError) -> String {
        guard let text = try optionalString(name, hint: hint) else {
            throw MCPToolError(.badArguments, "\(tool) needs '\(name)': \(hint)")
        }
        return text
    }

    /// A string when given (null counts as not given); empty strings are refused.
    func optionalString(_ name: String, hint: String) throws(MCPToolError) -> String? {
        switch values[name] {
        case nil, .null?: return nil
        case .string(let text)?:
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw MCPToolError(.badArguments, "\(tool): '\(name)' is empty; give \(hint)")
            }
            return text
        case let other?:
            throw MCPToolError(.badArguments, "\(tool): '\(name)' must be a string (\(hint)), not \(JSONValue(other).jsonText)")
        }
    }

    /// An integer in `range`, or `fallback` when not given.
    func integer(_ name: String, in range: ClosedRange<Int>, default fallback: Int) throws(MCPToolError) -> Int {
        let number: Int
        switch values[name] {
        case nil, .null?: return fallback
        case .int(let i)?: number = i
        case .double(let d)? where d.rounded() == d && abs(d) < 1e15: number = Int(d)
        case let other?:
            throw MCPToolError(.badArguments, "\(tool): '\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound), "
                + "not \(JSONValue(other).jsonText)")
        }
        guard range.contains(number) else {
            throw MCPToolError(.badArguments, "\(tool): '\(name)' must be from \(range.lowerBound) to \(range.upperBound), not \(number)")
        }
        return number
    }

    /// One of `choices` (the raw values of an enumeration), or `fallback` when not given.
    func choice<Choice: RawRepresentable & CaseIterable>(_ name: String, default fallback: Choice) throws(MCPToolError) -> Choice
        where Choice.RawValue == String {
        let all = Choice.allCases.map(\.rawValue).joined(separator: ", ")
        guard let text = try optionalString(name, hint: "one of \(all)") else { return fallback }
        guard let choice = Choice(rawValue: text) else {
            throw MCPToolError(.badArguments, "\(tool): '\(name)' is one of \(all), not '\(text)'")
        }
        return choice
    }

    /// Any JSON value, or null when not given.
    func json(_ name: String) -> JSONValue {
        values[name].map(JSONValue.init) ?? .null
    }
}
