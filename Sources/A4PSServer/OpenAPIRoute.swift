import Foundation
import Hummingbird
import NIOCore

/// `GET /openapi.json`: the OpenAPI 3.1 document of every route of the server (kept beside the
/// routes in `openapi.json`, bundled with the server; the surface tests check it against a live
/// server with schemathesis). Behind the token like the API it describes.
struct OpenAPIRoute: Sendable {
    func register(on router: Router<ImageRequestContext>) {
        router.get("/openapi.json") { _, _ in
            guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
                return JSONResponse.error(.internalServerError, "this a4ps was built without its OpenAPI document (Sources/A4PSServer/openapi.json)",
                                          code: "noDocument")
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json; charset=utf-8"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
        }
    }
}
