import Hummingbird

/// Refuses (403) a request whose `Host` is not a name of this server, or whose `Origin`, when
/// present, is not this server over http: a web page the person visits cannot reach the API,
/// neither by posting to 127.0.0.1 nor by rebinding its own domain name to it.
struct HostCheckMiddleware: RouterMiddleware {
    typealias Context = ImageRequestContext
    let hostNames: [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let port = context.localPort ?? 0
        let allowed = Set(hostNames.flatMap { name in port == 80 ? ["\(name):\(port)", name] : ["\(name):\(port)"] })
        guard let host = request.head.authority?.lowercased(), allowed.contains(host) else {
            let shown = request.head.authority.map { "'\($0)'" } ?? "no Host"
            return JSONResponse.error(.forbidden, "refused: a request for \(shown) is not for this server; "
                + "use http://127.0.0.1:\(port) (or start the server with --allowed-host NAME for another name)", code: "badHost")
        }
        if let origin = request.headers[.origin] {
            let lowered = origin.lowercased()
            guard lowered.hasPrefix("http://"), allowed.contains(String(lowered.dropFirst("http://".count))) else {
                return JSONResponse.error(.forbidden, "refused: requests from the web page at \(origin) are not allowed; "
                    + "call the API from a program (without an Origin header) or from a page this server serves", code: "badOrigin")
            }
        }
        return try await next(request, context)
    }
}
