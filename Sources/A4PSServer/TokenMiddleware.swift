import Hummingbird

/// Refuses (401) every request but `GET /health` that does not carry the server's token as
/// `Authorization: Bearer <token>`. Reads need it too: an image holds its owner's memory.
struct TokenMiddleware: RouterMiddleware {
    typealias Context = ImageRequestContext
    let token: ServerToken

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .get || request.method == .head, request.uri.path == "/health" {
            return try await next(request, context)
        }
        let presented = request.headers[.authorization].flatMap { header -> Substring? in
            let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            return parts[1].drop { $0 == " " }
        }
        guard let presented, token.matches(presented) else {
            var response = JSONResponse.error(.unauthorized, (presented == nil ? "this request needs the server's token" : "wrong token")
                + ": send `Authorization: Bearer <token>`, with the token from \(token.path) (readable by the image's owner only)",
                code: "unauthorized")
            response.headers[.wwwAuthenticate] = #"Bearer realm="a4ps""#
            return response
        }
        return try await next(request, context)
    }
}
