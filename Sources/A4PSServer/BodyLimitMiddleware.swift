import Hummingbird

/// Refuses (413) a request that announces a body larger than the limit before any of it is
/// read; bodies sent without a length are cut at the same limit where the routes read them.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = ImageRequestContext
    let maxBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maxBytes {
            return JSONResponse.tooLarge(maxBytes)
        }
        return try await next(request, context)
    }
}
