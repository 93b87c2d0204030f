import Hummingbird

/// Labels every answer as scripted (`X-A4PS-Scripted: true`, the version, `Server`) and records
/// every request except the server's own control endpoints (`/_scripted/...`).
struct ScriptedLabelMiddleware<Context: RequestContext>: RouterMiddleware {
    let state: ScriptedServerState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        let path = request.uri.description
        if !path.hasPrefix("/_scripted") {
            let buffer = try await request.collectBody(upTo: 1 << 30)
            let body: String
            if buffer.readableBytes > 1 << 20 || buffer.readableBytesView.contains(0) {
                body = "<\(buffer.readableBytes) bytes>"
            } else {
                body = String(buffer: buffer)
            }
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            await state.record(RecordedRequest(method: request.method.rawValue, path: path, headers: headers, body: body, time: await state.uptime))
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            response = WireFormat.ollamaError(.notFound, "404 page not found (a4ps-scripted-server has no \(request.method.rawValue) \(path))")
        }
        response.headers[WireFormat.scriptedHeader] = "true"
        response.headers[WireFormat.versionHeader] = ScriptedModelServer.version
        response.headers[.server] = "a4ps-scripted-server/\(ScriptedModelServer.version)"
        return response
    }
}

/// The server's own endpoints: the request log, counters and a reset.
struct ControlRoutes: Sendable {
    let state: ScriptedServerState

    func register(on router: Router<BasicRequestContext>) {
        router.get("/_scripted/requests") { _, _ in
            let requests = await state.requests.map { request -> [String: Any] in
                ["method": request.method, "path": request.path, "headers": request.headers, "body": request.body, "time": request.time]
            }
            return WireFormat.response(json: requests)
        }
        router.delete("/_scripted/requests") { _, _ in
            await state.clearRequests()
            return Response(status: .noContent)
        }
        router.get("/_scripted/stats") { _, _ in
            let stats = await state.currentStats()
            return WireFormat.response(json: [
                "loads": stats.loads, "unloads": stats.unloads, "server_evictions": stats.serverEvictions,
                "resident_bytes": stats.residentBytes, "peak_resident_bytes": stats.peakResidentBytes,
                "resident": stats.resident, "chat_requests": stats.chatRequests, "embed_requests": stats.embedRequests,
                "load_order": stats.loadOrder,
            ])
        }
        router.post("/_scripted/reset") { _, _ in
            await state.reset()
            return Response(status: .noContent)
        }
    }
}
