import AsyncHTTPClient
import Inference
import ScriptedModelServer
import Testing

/// Starts a real scripted server on an ephemeral loopback port and an HTTP client, runs `body`,
/// then shuts both down (also when `body` throws), so no test leaves anything running.
func withScriptedServer<T: Sendable>(
    _ script: Script = Script(),
    _ body: (ScriptedModelServer, String, HTTPClient) async throws -> T
) async throws -> T {
    let server = ScriptedModelServer(script: script)
    let url = try await server.start()
    let client = BackendFactory.makeHTTPClient(connectTimeoutSeconds: 2)
    do {
        let result = try await body(server, url, client)
        try await client.shutdown()
        await server.stop()
        return result
    } catch {
        try? await client.shutdown()
        await server.stop()
        throw error
    }
}

/// Fast retries for tests.
let quickRetry = RetryPolicy(maxRetries: 3, baseDelay: .milliseconds(10), maxDelay: .milliseconds(50))

/// Runs `operation` and returns the `InferenceError` it throws (failing the test if it does not throw one).
func inferenceError(
    sourceLocation: SourceLocation = #_sourceLocation, _ operation: () async throws -> Void
) async -> InferenceError? {
    do {
        try await operation()
        Issue.record("expected an InferenceError, but the call succeeded", sourceLocation: sourceLocation)
        return nil
    } catch let error as InferenceError {
        return error
    } catch {
        Issue.record("expected an InferenceError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Reads a chat stream to its end.
func collectText(_ stream: AsyncThrowingStream<ChatChunk, any Error>) async throws -> (text: String, chunks: [ChatChunk]) {
    var chunks: [ChatChunk] = []
    for try await chunk in stream { chunks.append(chunk) }
    return (chunks.map(\.content).joined(), chunks)
}

/// Parses a recorded request's JSON body with the library's own parser.
func jsonBody(_ request: RecordedRequest) throws -> JSONValue {
    try JSONParser.parse(request.body)
}

let phi = "phi3:mini-4k-instruct"
