import Foundation
import Hummingbird

/// Writes a planned answer token by token (NDJSON or SSE lines), injecting the plan's fault.
struct TokenEmitter: Sendable {
    /// A deliberate broken connection (the `disconnect` fault).
    struct Disconnect: Error {}

    let plan: ScriptedServerState.Plan
    /// The line that carries one token.
    let line: @Sendable (String) -> String
    /// The line(s) that end a successful answer.
    let final: @Sendable () -> String
    /// The line that reports an error mid-stream.
    let errorLine: @Sendable (String) -> String
    /// What follows an error line (SSE sends `[DONE]` after it), if anything.
    var afterError: String

    init(plan: ScriptedServerState.Plan, line: @escaping @Sendable (String) -> String, final: @escaping @Sendable () -> String,
         errorLine: @escaping @Sendable (String) -> String, afterError: String = "") {
        self.plan = plan
        self.line = line
        self.final = final
        self.errorLine = errorLine
        self.afterError = afterError
    }

    /// Writes everything; on a `disconnect` fault throws after flushing what was sent, which
    /// makes the server drop the connection mid-body.
    func write(to writer: inout any ResponseBodyWriter) async throws {
        var pending = ByteBuffer()
        let delayed = plan.tokenDelay > .zero
        for index in 0...plan.tokens.count {
            if let fault = plan.fault, fault.afterTokens == index || (index == plan.tokens.count && fault.afterTokens > index) {
                switch fault.kind {
                case .disconnect:
                    if pending.readableBytes > 0 { try await writer.write(pending) }
                    throw Disconnect()
                case .malformedLine:
                    pending.writeString("{\"model\": this line is deliberately not JSON (scripted fault)\n")
                    try await writer.write(pending)
                    try await writer.finish(nil)
                    return
                case .errorLine:
                    pending.writeString(errorLine(fault.message ?? "scripted fault: the model failed mid-stream"))
                    pending.writeString(afterError)
                    try await writer.write(pending)
                    try await writer.finish(nil)
                    return
                case .http500, .notFound, .slowStart, .slowTokens:
                    break
                }
            }
            guard index < plan.tokens.count else { break }
            if plan.stampTokens {
                // The token is the moment it leaves: written at once, not batched.
                var now = timespec()
                clock_gettime(CLOCK_REALTIME, &now)
                pending.writeString(line("⟨sent \(Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)⟩ "))
                try await writer.write(pending)
                pending.clear()
                if delayed { try await Task.sleep(for: plan.tokenDelay) }
                continue
            }
            pending.writeString(line(plan.tokens[index]))
            if delayed {
                try await writer.write(pending)
                pending.clear()
                try await Task.sleep(for: plan.tokenDelay)
            } else if pending.readableBytes >= 16 * 1024 {
                try await writer.write(pending)
                pending.clear()
            }
        }
        pending.writeString(final())
        try await writer.write(pending)
        try await writer.finish(nil)
    }
}
