import AsyncHTTPClient
import Dispatch
import NIOCore
import NIOHTTP1
import Synchronization

/// Progress of one streamed call, shared between the body reader and its idle watchdog.
final class StreamProgress: Sendable {
    let delivered = Atomic<Int>(0)
    let lastActivity = Atomic<UInt64>(DispatchTime.now().uptimeNanoseconds)

    func touch() { lastActivity.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed) }
    var deliveredCount: Int { delivered.load(ordering: .relaxed) }
}

extension HTTPTransport {
    /// Streams a call's decoded messages.
    ///
    /// Connection failures (and 429/502/503/504) are retried with backoff as long as no content
    /// chunk has been delivered; once one has, a broken connection ends the stream with
    /// `.interrupted` and nothing is retried. The idle timeout is enforced by one watchdog task
    /// per call, so parsing stays on the fast path.
    func stream<Chunk: Sendable>(
        _ method: HTTPMethod,
        _ path: String,
        body: JSONValue,
        model: String?,
        framing: StreamFraming,
        isContent: @escaping @Sendable (Chunk) -> Bool,
        decode: @escaping @Sendable (UnsafeRawBufferPointer, _ delivered: Int) throws -> LineOutcome<Chunk>
    ) -> AsyncThrowingStream<Chunk, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Chunk, any Error>.makeStream()
        let bytes = body.jsonBytes
        let task = Task {
            await self.runStream(method, path, bytes, model, framing, isContent, decode, continuation)
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func runStream<Chunk: Sendable>(
        _ method: HTTPMethod,
        _ path: String,
        _ body: [UInt8],
        _ model: String?,
        _ framing: StreamFraming,
        _ isContent: @escaping @Sendable (Chunk) -> Bool,
        _ decode: @escaping @Sendable (UnsafeRawBufferPointer, Int) throws -> LineOutcome<Chunk>,
        _ continuation: AsyncThrowingStream<Chunk, any Error>.Continuation
    ) async {
        let progress = StreamProgress()
        var attempt = 0
        while true {
            var gotHead = false
            do {
                try Task.checkCancellation()
                let response = try await execute(makeRequest(method, path, body: body))
                gotHead = true
                try await checkStatus(response, path: path, model: model)
                try await consume(response.body, model, framing, progress, isContent, decode, continuation)
                continuation.finish()
                return
            } catch {
                let failure = classify(error)
                let delivered = progress.deliveredCount
                let canRetry = delivered == 0 && attempt < retry.maxRetries && !Task.isCancelled
                switch failure {
                case .connection(let reason):
                    if canRetry {
                        attempt += 1
                        try? await Task.sleep(for: retry.delay(beforeRetry: attempt))
                        continue
                    }
                    if delivered > 0 || gotHead {
                        continuation.finish(throwing: InferenceError.interrupted(url: baseURL, model: model, chunks: delivered, underlying: reason))
                    } else {
                        continuation.finish(throwing: InferenceError.unreachable(kind: kind, url: baseURL, attempts: attempt + 1, underlying: reason))
                    }
                case .inference(let inference):
                    if inference.isRetryableBeforeFirstToken, canRetry {
                        attempt += 1
                        try? await Task.sleep(for: retry.delay(beforeRetry: attempt))
                        continue
                    }
                    continuation.finish(throwing: inference)
                case .firstByteTimeout, .idleTimeout:
                    var timeout = timeoutError(failure, model: model)
                    timeout.chunksDelivered = delivered
                    continuation.finish(throwing: timeout)
                case .cancelled:
                    continuation.finish(throwing: CancellationError())
                }
                return
            }
        }
    }

    private func consume<Chunk: Sendable>(
        _ body: HTTPClientResponse.Body,
        _ model: String?,
        _ framing: StreamFraming,
        _ progress: StreamProgress,
        _ isContent: @escaping @Sendable (Chunk) -> Bool,
        _ decode: @escaping @Sendable (UnsafeRawBufferPointer, Int) throws -> LineOutcome<Chunk>,
        _ continuation: AsyncThrowingStream<Chunk, any Error>.Continuation
    ) async throws {
        let idle = timeouts.idle
        let url = baseURL
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                progress.touch()
                var splitter = LineSplitter()
                var framer = MessageFramer(framing: framing)
                var ended = false
                let onMessage: (UnsafeRawBufferPointer) throws -> Bool = { message in
                    let outcome: LineOutcome<Chunk>
                    do {
                        outcome = try decode(message, progress.deliveredCount)
                    } catch let error as InferenceError {
                        throw error
                    } catch {
                        throw InferenceError.malformed(url: url, model: model, line: String(decoding: message, as: UTF8.self), reason: "\(error)")
                    }
                    switch outcome {
                    case .chunk(let chunk):
                        if isContent(chunk) { progress.delivered.add(1, ordering: .relaxed) }
                        continuation.yield(chunk)
                        return true
                    case .final(let chunk):
                        if isContent(chunk) { progress.delivered.add(1, ordering: .relaxed) }
                        continuation.yield(chunk)
                        ended = true
                        return false
                    case .end:
                        ended = true
                        return false
                    case .skip:
                        return true
                    }
                }
                var drained = 0
                for try await buffer in body {
                    progress.touch()
                    if ended {
                        // Read the (normally empty) rest so the connection can be reused; give up on a chatty server.
                        drained += buffer.readableBytes
                        if drained > 1 << 16 { break }
                        continue
                    }
                    _ = try splitter.feed(buffer) { line in try framer.line(line, onMessage) }
                }
                if !ended {
                    try splitter.finish { line in try framer.line(line, onMessage) }
                    try framer.finish(onMessage)
                }
                if !ended {
                    throw InferenceError.incomplete(url: url, model: model, chunks: progress.deliveredCount)
                }
            }
            group.addTask {
                let interval = max(Duration.milliseconds(10), min(idle / 4, .seconds(1)))
                let limit = UInt64(idle.seconds * 1e9)
                while true {
                    try await Task.sleep(for: interval)
                    let now = DispatchTime.now().uptimeNanoseconds
                    let last = progress.lastActivity.load(ordering: .relaxed)
                    if now > last, now - last > limit { throw Failure.idleTimeout }
                }
            }
            do {
                try await group.next()
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }
}
