import Hummingbird

/// Refuses (401) every request that does not carry the server's token as `Authorization: Bearer
/// <token>` or a session cookie of the browser UI (``LoginSessions``). Reads need it too: an
/// image holds its owner's memory. Open to all: `GET /health` (which says nothing more than
/// "ok"), the UI's static files (`/`, `/ui/…`, which hold no data) and `GET /login` (which
/// needs a one-time code of its own).
struct TokenMiddleware: RouterMiddleware {
    typealias Context = ImageRequestContext
    let token: ServerToken
    let sessions: LoginSessions

    static func isOpen(_ request: Request) -> Bool {
        guard request.method == .get || request.method == .head else { return false }
        let path = request.uri.path
        return path == "/health" || path == "/" || path == "/login" || path == "/favicon.ico" || path.hasPrefix("/ui/")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.isOpen(request) { return try await next(request, context) }
        if let session = LoginSessions.session(inCookieHeader: request.headers[.cookie]), sessions.isValid(session) {
            return try await next(request, context)
        }
        let presented = request.headers[.authorization].flatMap { header -> Substring? in
            let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            return parts[1].drop { $0 == " " }
        }
        guard let presented, token.matches(presented) else {
            var response = JSONResponse.error(.unauthorized, (presented == nil ? "this request needs the server's token" : "wrong token")
                + ": send `Authorization: Bearer <token>`, with the token from \(token.path) (readable by the image's owner only), "
                + "or open the login URL `a4ps serve` printed (or get a new one: POST /login/code)",
                code: "unauthorized")
            response.headers[.wwwAuthenticate] = #"Bearer realm="a4ps""#
            return response
        }
        return try await next(request, context)
    }
}
