import Hummingbird

/// A request the API refuses before anything runs: what is wrong with it and how to fix it,
/// with its HTTP status (400 for a malformed request, 404 for something that does not exist,
/// 409 for a state that does not allow it).
struct APIError: Error, CustomStringConvertible, Sendable {
    let status: HTTPResponse.Status
    let code: String
    let description: String

    static func badRequest(_ message: String, code: String = "badRequest") -> APIError {
        APIError(status: .badRequest, code: code, description: message)
    }

    static func notFound(_ message: String, code: String = "notFound") -> APIError {
        APIError(status: .notFound, code: code, description: message)
    }

    static func conflict(_ message: String, code: String = "conflict") -> APIError {
        APIError(status: .conflict, code: code, description: message)
    }
}
