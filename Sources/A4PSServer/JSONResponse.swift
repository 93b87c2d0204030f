import A4PS
import Hummingbird
import LivingImage
import NIOCore
import Scrapbook

/// JSON responses, and the HTTP status each kind of image error maps to.
enum JSONResponse {
    static func ok(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: value.prettyText + "\n")))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, code: String, traceback: String? = nil) -> Response {
        var body: [String: JSONValue] = ["error": .string(message), "code": .string(code)]
        if let traceback { body["traceback"] = .string(traceback) }
        return ok(.object(body), status: status)
    }

    /// 413: a body past the server's limit.
    static func tooLarge(_ maxBytes: Int) -> Response {
        error(.contentTooLarge, "the request body is larger than this server accepts (\(maxBytes) bytes); "
            + "send less, or start the server with a larger --max-body", code: "bodyTooLarge")
    }

    /// 429: every place for a send is taken.
    static func busy(_ limit: Int) -> Response {
        var response = error(.tooManyRequests, "\(limit) sends are running already, the most this server runs at once; "
            + "retry when one has finished (or start the server with a larger --max-sends)", code: "busy")
        response.headers[.retryAfter] = "1"
        return response
    }

    /// The answer of an async route: its JSON, or the error as the status it maps to (a body that
    /// is not JSON is 400).
    static func respond(status: HTTPResponse.Status = .ok, _ body: () async throws -> JSONValue) async -> Response {
        do { return ok(try await body(), status: status) } catch { return from(error) }
    }

    static func from(_ error: any Error) -> Response {
        if let error = error as? APIError { return Self.error(error.status, error.description, code: error.code) }
        if let error = error as? JSONParser.Failure {
            return Self.error(.badRequest, "the body must be JSON: \(error.description)", code: "invalidJSON")
        }
        if let error = error as? GraphError { return Self.error(.unprocessableContent, error.description, code: "graph") }
        if let error = error as? ScrapbookError {
            let status: HTTPResponse.Status = switch error.code {
            case .emptyText, .invalidArgument, .missingQuery, .unreadableDocument, .dimensionMismatch: .badRequest
            case .textTooLarge: .contentTooLarge
            case .embedderFailed, .badEmbedding: .badGateway
            case .embeddingModelChanged: .conflict
            default: .internalServerError
            }
            return Self.error(status, error.description, code: error.code.description)
        }
        if let error = error as? ForgeRefusal { return Self.error(.unprocessableContent, error.description, code: "forgeRefused") }
        if let error = error as? CodexProposalError {
            let status: HTTPResponse.Status = switch error.code {
            case .noSuchProposal, .noSuchPersona: .notFound
            case .alreadyDecided, .expired, .conflict, .alreadyRejected, .duplicate: .conflict
            case .invalidDiff: .badRequest
            }
            return Self.error(status, error.description, code: error.code.rawValue)
        }
        if let error = error as? AscensionError {
            let status: HTTPResponse.Status = switch error.code {
            case .noSuchPersona, .noSuchAscension: .notFound
            case .alreadyDecided, .expired, .conflict, .alreadyBound, .busy: .conflict
            case .vetoed: .forbidden
            case .noData: .unprocessableContent
            }
            return Self.error(status, error.description, code: error.code.rawValue)
        }
        if let error = error as? MotivatorError {
            let status: HTTPResponse.Status = switch error.code {
            case .noSuchGoal: .notFound
            case .alreadyFinished: .conflict
            case .disabled: .serviceUnavailable
            case .invalidGoal: .badRequest
            }
            return Self.error(status, error.description, code: error.code.rawValue)
        }
        guard let error = error as? ImageError else {
            return Self.error(.internalServerError, "\(error)", code: "internal")
        }
        let status: HTTPResponse.Status = switch error.code {
        case .noSuchProto, .noSuchMethod, .fileMissing: .notFound
        case .conflict, .protoExists, .fileExists: .conflict
        case .invalidName, .invalidValue, .compileFailed, .rollback: .badRequest
        case .methodFailed, .killed, .outOfMemory, .sendDepthExceeded, .interrupted: .unprocessableContent
        case .notAnImage, .corruptImage, .newerSchema, .storage, .genesis: .internalServerError
        case .vetoed: .forbidden
        }
        return Self.error(status, error.description, code: error.code.rawValue, traceback: error.traceback)
    }
}
