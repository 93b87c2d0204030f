import Hummingbird
import LivingImage
import NIOCore

/// Reading a request's body: as text within the server's limit, or as a JSON object whose fields
/// the routes take with a clear error for each one missing or of the wrong type.
struct RequestBody: Sendable {
    let maxBytes: Int

    /// The body as text; nil when it is longer than the limit (a body sent without a length).
    func text(of request: Request) async throws -> String? {
        do {
            let buffer = try await request.body.collect(upTo: maxBytes)
            return String(decoding: buffer.readableBytesView, as: UTF8.self)
        } catch is NIOTooManyBytesError {
            return nil
        }
    }

    /// The body as a JSON object (an empty body is `{}`); 400 when it is not one.
    static func object(_ text: String) throws -> [String: JSONValue] {
        if text.allSatisfy(\.isWhitespace) { return [:] }
        let value = try JSONValue(parsing: text)
        guard let object = value.objectValue else {
            throw APIError.badRequest("the body must be a JSON object, not \(value.typeName)", code: "invalidBody")
        }
        return object
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// A required string field, not blank.
    func requiredString(_ name: String) throws -> String {
        guard let value = self[name] else { throw APIError.badRequest("the body needs \"\(name)\" (a string)", code: "missingField") }
        guard let text = value.stringValue else {
            throw APIError.badRequest("\"\(name)\" must be a string, not \(value.typeName)", code: "wrongType")
        }
        guard !text.allSatisfy(\.isWhitespace) else { throw APIError.badRequest("\"\(name)\" must not be empty", code: "emptyField") }
        return text
    }

    /// An optional string field (absent or null: nil).
    func optionalString(_ name: String) throws -> String? {
        guard let value = self[name], value != .null else { return nil }
        guard let text = value.stringValue else {
            throw APIError.badRequest("\"\(name)\" must be a string, not \(value.typeName)", code: "wrongType")
        }
        return text
    }

    /// An optional integer field within `range`.
    func optionalInt(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = self[name], value != .null else { return nil }
        guard let number = value.intValue, range.contains(number) else {
            throw APIError.badRequest("\"\(name)\" must be a whole number from \(range.lowerBound) to \(range.upperBound)", code: "wrongType")
        }
        return number
    }

    /// An optional boolean field.
    func optionalBool(_ name: String) throws -> Bool? {
        guard let value = self[name], value != .null else { return nil }
        guard case .bool(let flag) = value else {
            throw APIError.badRequest("\"\(name)\" must be true or false, not \(value.typeName)", code: "wrongType")
        }
        return flag
    }
}

extension JSONValue {
    /// What kind of JSON value this is, for error messages.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer, .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
