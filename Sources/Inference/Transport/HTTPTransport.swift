import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The HTTP plumbing both backends share: requests with deadlines, retries before the first
/// token, status mapping to ``InferenceError``, and streamed bodies parsed incrementally.
struct HTTPTransport: Sendable {
    let client: HTTPClient
    let baseURL: String
    let kind: BackendKind
    let apiKey: String?
    let timeouts: RequestTimeouts
    let retry: RetryPolicy

    /// The largest non-streamed body accepted.
    static let maxBodyBytes = 64 * 1024 * 1024

    // MARK: - One attempt

    func makeRequest(_ method: HTTPMethod, _ path: String, body: [UInt8]?, contentType: String = "application/json") -> HTTPClientRequest {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "User-Agent", value: "a4ps-inference/1.0")
        request.headers.add(name: "Accept", value: "application/json, application/x-ndjson, text/event-stream")
        if let apiKey, !apiKey.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    /// Sends once and returns the response once its head arrived (the first-byte deadline applies).
    func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let nanos = Int64(timeouts.firstByte.seconds * 1e9)
        return try await client.execute(request, deadline: .now() + .nanoseconds(nanos))
    }

    /// Throws the mapped ``InferenceError`` when the status is not 2xx.
    func checkStatus(_ response: HTTPClientResponse, path: String, model: String?) async throws {
        guard !(200..<300).contains(response.status.code) else { return }
        let body = (try? await response.body.collect(upTo: 1 << 20)).map { String(buffer: $0) } ?? ""
        let message = Self.serverMessage(in: body)
        let status = Int(response.status.code)
        if status == 404, let model, Self.mentionsMissingModel(message, kind: kind) {
            throw InferenceError.modelNotFound(kind: kind, url: baseURL, model: model, status: status, serverMessage: message)
        }
        throw InferenceError.httpStatus(url: baseURL, path: path, model: model, status: status, serverMessage: message)
    }

    static func mentionsMissingModel(_ message: String, kind: BackendKind) -> Bool {
        switch kind {
        case .ollama: return message.localizedCaseInsensitiveContains("not found") || message.contains("try pulling")
        case .openai: return true
        }
    }

    /// The human message in an error body: Ollama's `{"error":"..."}`, OpenAI's `{"error":{"message":...}}`, or the text.
    static func serverMessage(in body: String) -> String {
        if let json = try? JSONParser.parse(body) {
            if let text = json["error"]?.stringValue { return text }
            if let text = json["error"]?["message"]?.stringValue { return text }
            if let text = json["message"]?.stringValue { return text }
            if let text = json["detail"]?.stringValue { return text }
        }
        let trimmed = body.trimming(" \n\r\t")
        return trimmed.isEmpty ? "(empty body)" : String(trimmed.prefix(500))
    }

    // MARK: - Error classification

    enum Failure: Error {
        case connection(String)
        case firstByteTimeout
        case idleTimeout
        case cancelled
        case inference(InferenceError)
    }

    func classify(_ error: any Error) -> Failure {
        if let failure = error as? Failure { return failure }
        if let inference = error as? InferenceError { return .inference(inference) }
        if error is CancellationError { return .cancelled }
        if let http = error as? HTTPClientError {
            if http == .deadlineExceeded { return .firstByteTimeout }
            if http == .readTimeout { return .idleTimeout }
            if http == .cancelled { return Task.isCancelled ? .cancelled : .connection("request cancelled") }
            return .connection(Self.describe(http))
        }
        return .connection(Self.describe(error))
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("remoteConnectionClosed") { return "the server closed the connection" }
        if text.contains("connectTimeout") { return "connect timeout" }
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }

    func timeoutError(_ failure: Failure, model: String?) -> InferenceError {
        if case .idleTimeout = failure {
            return .timeout(url: baseURL, model: model, phase: "further output", seconds: timeouts.idle.seconds, setting: "idle_timeout_seconds")
        }
        return .timeout(url: baseURL, model: model, phase: "answer", seconds: timeouts.firstByte.seconds, setting: "first_token_timeout_seconds")
    }

    // MARK: - Whole bodies

    /// Sends a request and returns its whole body, retrying connection failures with backoff.
    func data(_ method: HTTPMethod, _ path: String, body: [UInt8]?, model: String?, contentType: String = "application/json") async throws -> ByteBuffer {
        try await data(path, model: model) { makeRequest(method, path, body: body, contentType: contentType) }
    }

    /// Sends a file as the body of a POST, read in chunks (never whole in memory), and returns the answer's body.
    func upload(_ path: String, file: FileBlob) async throws -> ByteBuffer {
        try await data(path, model: nil) {
            var request = makeRequest(.POST, path, body: nil)
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            request.body = .stream(file, length: .known(file.size))
            return request
        }
    }

    /// Sends the request `make` builds (again for each retry) and returns its whole body.
    private func data(_ path: String, model: String?, _ make: () -> HTTPClientRequest) async throws -> ByteBuffer {
        var attempt = 0
        while true {
            do {
                let response = try await execute(make())
                try await checkStatus(response, path: path, model: model)
                return try await response.body.collect(upTo: Self.maxBodyBytes)
            } catch {
                let failure = classify(error)
                switch failure {
                case .connection(let reason):
                    if attempt < retry.maxRetries {
                        attempt += 1
                        try await Task.sleep(for: retry.delay(beforeRetry: attempt))
                        continue
                    }
                    throw InferenceError.unreachable(kind: kind, url: baseURL, attempts: attempt + 1, underlying: reason)
                case .inference(let inference):
                    if inference.isRetryableBeforeFirstToken, attempt < retry.maxRetries {
                        attempt += 1
                        try await Task.sleep(for: retry.delay(beforeRetry: attempt))
                        continue
                    }
                    throw inference
                case .firstByteTimeout, .idleTimeout:
                    throw timeoutError(failure, model: model)
                case .cancelled:
                    throw CancellationError()
                }
            }
        }
    }

    /// Sends a JSON request and parses the JSON answer (an empty body is `null`).
    func json(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, model: String? = nil) async throws -> JSONValue {
        let buffer = try await data(method, path, body: body?.jsonBytes, model: model)
        if buffer.readableBytes == 0 { return .null }
        do {
            return try buffer.withUnsafeReadableBytes { bytes throws(JSONParser.Failure) in try JSONParser.parse(bytes) }
        } catch {
            throw InferenceError.malformed(url: baseURL, model: model, line: String(buffer: buffer), reason: error.description)
        }
    }

    /// The status of a request with no body to read (HEAD), retrying connection failures.
    func status(_ method: HTTPMethod, _ path: String) async throws -> Int {
        var attempt = 0
        while true {
            do {
                let response = try await execute(makeRequest(method, path, body: nil))
                _ = try? await response.body.collect(upTo: 1 << 20)
                return Int(response.status.code)
            } catch {
                let failure = classify(error)
                if case .connection(let reason) = failure {
                    if attempt < retry.maxRetries {
                        attempt += 1
                        try await Task.sleep(for: retry.delay(beforeRetry: attempt))
                        continue
                    }
                    throw InferenceError.unreachable(kind: kind, url: baseURL, attempts: attempt + 1, underlying: reason)
                }
                if case .cancelled = failure { throw CancellationError() }
                throw timeoutError(failure, model: nil)
            }
        }
    }
}
