import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The Entropic UI's files and its sign-in:
///
/// - `GET /` → `UI/index.html`; `GET /ui/{path}` → `UI/{path}` (HTML, CSS and ES modules from the
///   repository, bundled with the server; no build step, nothing fetched from elsewhere)
/// - `GET /login?code=…` spends a one-time login code (``LoginSessions``), sets the session
///   cookie and sends the browser to `/` (303), so the code leaves the address bar at once
/// - `POST /login/code` (with the token) → `{"code", "url"}`: a new login URL
/// - `POST /logout` ends the browser's session
///
/// The files are read from the bundle's `UI` folder, or from `A4PS_UI_DIR` when set (to work on
/// the UI without rebuilding). Every page goes out with a Content-Security-Policy that allows
/// nothing but this server.
struct UIRoutes: Sendable {
    let sessions: LoginSessions
    let directory: URL?

    /// Where the UI's files are: `A4PS_UI_DIR`, else the server's bundled copy.
    static func defaultDirectory() -> URL? {
        if let overridden = ProcessInfo.processInfo.environment["A4PS_UI_DIR"], !overridden.isEmpty {
            return URL(fileURLWithPath: overridden, isDirectory: true)
        }
        return Bundle.module.resourceURL?.appendingPathComponent("UI", isDirectory: true)
    }

    func register(on router: Router<ImageRequestContext>) {
        router.get("/") { _, _ in file("index.html") }
        router.get("/ui/**") { request, _ in
            file(String(request.uri.path.dropFirst("/ui/".count)))
        }
        router.get("/login") { request, context in
            guard let code = request.uri.queryParameters.get("code"), let session = sessions.redeem(code) else {
                var response = page(.unauthorized, "This login link was used already or has expired. "
                    + "Restart `a4ps serve` for a new one, or ask the server for one: POST /login/code with the token.")
                response.headers[.cacheControl] = "no-store"
                return response
            }
            var headers = HTTPFields()
            headers[.location] = "/"
            headers[.setCookie] = "\(LoginSessions.cookieName)=\(session); HttpOnly; SameSite=Strict; Path=/"
            headers[.cacheControl] = "no-store"
            headers[.referrerPolicy] = "no-referrer"
            return Response(status: .seeOther, headers: headers)
        }
        router.post("/login/code") { request, context in
            let code = sessions.issueCode()
            let host = request.head.authority ?? "127.0.0.1:\(context.localPort ?? 0)"
            return JSONResponse.ok(["code": .string(code), "url": .string("http://\(host)/login?code=\(code)")])
        }
        router.post("/logout") { request, _ in
            if let session = LoginSessions.session(inCookieHeader: request.headers[.cookie]) { sessions.end(session) }
            var response = JSONResponse.ok(["status": "signed out"])
            response.headers[.setCookie] = "\(LoginSessions.cookieName)=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
            return response
        }
    }

    /// One file of the UI, or 404; a path that climbs out of the folder is 404 too.
    private func file(_ relative: String) -> Response {
        guard let directory else { return page(.notFound, "This a4ps was built without its UI.") }
        let parts = relative.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.isEmpty, !parts.contains(where: { $0 == ".." || $0 == "." || $0.hasPrefix(".") }),
              let contents = FileManager.default.contents(atPath: parts.reduce(directory) { $0.appendingPathComponent(String($1)) }.path)
        else {
            return page(.notFound, "There is no UI file /ui/\(relative).")
        }
        var headers = HTTPFields()
        headers[.contentType] = Self.contentType(of: relative)
        headers[.cacheControl] = "no-cache"
        Self.addSecurityHeaders(&headers)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: contents)))
    }

    private func page(_ status: HTTPResponse.Status, _ message: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        Self.addSecurityHeaders(&headers)
        let escaped = message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        let html = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>a4ps</title><p>\(escaped)</p></html>\n"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static func addSecurityHeaders(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
    }

    static func contentType(of path: String) -> String {
        switch path.split(separator: ".").last.map({ $0.lowercased() }) {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json": "application/json; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "woff2": "font/woff2"
        default: "application/octet-stream"
        }
    }
}

extension HTTPField.Name {
    /// `Referrer-Policy` (not among swift-http-types' names).
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
}
