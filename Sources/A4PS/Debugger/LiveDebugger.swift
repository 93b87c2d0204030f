import Foundation
import Inference
import LivingImage

/// The live debugger sub-agent: a method that raises during a real send opens a debug session
/// (the message, its arguments, the error, the traceback, the source); the DEBUGGER persona
/// proposes a fix, verified on a clone exactly as the Tool Forge verifies a candidate (the
/// reproducing test, every existing test of the proto, ALFRED's review), then swapped in; the
/// failing message can then be sent again. A person may instead close a session with a fix of
/// their own.
public struct LiveDebugger: Sendable {
    let image: Image
    let models: ModelManager
    let store: DebugStore
    let maxAttempts: Int

    init(image: Image, models: ModelManager, maxAttempts: Int = 3) throws {
        self.image = image
        self.models = models
        self.store = try DebugStore(database: image.database)
        self.maxAttempts = maxAttempts
    }

    /// Opens sessions for methods that raise, until the image's event stream ends.
    func watch() -> Task<Void, Never> {
        let events = image.events.subscribe()
        return Task {
            for await event in events {
                guard case .methodRaised(let proto, let selector, let owner, let args, let error, let traceback) = event,
                      !error.contains(" raised: "),  // a failure passed up from a nested send has its own session
                      let source = image.memory.proto(named: owner)?.methods[selector]?.source
                else { continue }
                _ = try? store.open(DebugSession(id: 0, proto: proto, selector: selector, owner: owner, args: args, error: error,
                                                 traceback: traceback, source: source, status: .open, fixChange: nil, openedAt: Date()))
            }
        }
    }

    public func sessions(limit: Int = 50) throws -> [DebugSession] { try store.sessions(limit: limit) }

    public func session(_ id: Int64) throws -> DebugSession {
        guard let session = try store.session(id) else { throw ImageError(.noSuchMethod, "there is no debug session \(id) (see `a4ps debug list`)") }
        return session
    }

    /// Asks the DEBUGGER persona for a fix and installs it when it passes; the session closes as `fixed`.
    public func fix(_ id: Int64) async throws -> ForgeResult {
        let session = try session(id)
        guard session.status == .open else { throw ImageError(.invalidValue, "debug session \(id) is already \(session.status.rawValue)") }
        guard let debugger = image.memory.proto(named: "DEBUGGER") else { throw ImageError.noSuchProto("DEBUGGER") }
        let binding = PersonaPrimitives.binding(for: debugger, models: models)
        let forge = ToolForge(image: image, models: models, maxAttempts: maxAttempts)
        var result = ForgeResult(proto: session.owner, selector: session.selector, model: binding.model ?? "?", attempts: [])
        var conversation: [ChatMessage] = [.user(prompt(for: session))]
        for number in 1...maxAttempts {
            let answer = try await models.chat(binding, messages: conversation, runID: "debug-\(id)")
            var attempt = ForgeResult.Attempt(number: number, method: nil, tests: nil, errors: [])
            if let candidate = CodeExtractor.extract(answer.text) {
                attempt.method = candidate.method
                attempt.tests = candidate.tests
                attempt.errors = await forge.verify(candidate, proto: session.owner, selector: session.selector)
                if attempt.errors.isEmpty {
                    result.attempts.append(attempt)
                    var provenance = result.provenance
                    if case .object(var members) = provenance { members["debugSession"] = .integer(id); provenance = .object(members) }
                    result.change = try await forge.install(candidate, on: session.owner, selector: session.selector,
                                                            author: .debugger, provenance: provenance)
                    try store.close(id, status: .fixed, fixChange: result.change?.id)
                    return result
                }
            } else {
                attempt.errors = ["no method and tests found in the answer: give two fenced ```lua blocks, the fixed method then its tests"]
            }
            result.attempts.append(attempt)
            conversation += [.assistant(answer.text), .user("That did not work:\n" + attempt.errors.map { "- " + $0 }.joined(separator: "\n")
                + "\nFix it and answer again with the two fenced ```lua blocks.")]
        }
        return result
    }

    /// Sends the session's failing message again.
    public func retry(_ id: Int64) async throws -> JSONValue {
        let session = try session(id)
        return try await image.send(session.proto, session.selector, session.args)
    }

    /// Closes a session by hand: with `source`, installs a person's own fix first (as the Architect).
    public func close(_ id: Int64, source: String? = nil) async throws -> ChangeRecord? {
        let session = try session(id)
        var change: ChangeRecord?
        if let source {
            change = try await image.defineMethod(session.selector, on: session.owner, source: source, author: .architect,
                                                  reason: "fix for debug session \(id)")
        }
        try store.close(id, status: .closed, fixChange: change?.id)
        return change
    }

    private func prompt(for session: DebugSession) -> String {
        """
        The method \(session.owner)>>\(session.selector) failed when \(session.proto) received `\(session.selector)` with args \(session.args.jsonText).
        Error: \(session.error)
        Traceback:
        \(session.traceback ?? "(none)")

        Its source:
        ```lua
        \(session.source)
        ```

        Answer with exactly two fenced ```lua blocks: first the corrected method body (its first line a comment
        `-- \(session.owner)>>\(session.selector): what it does`), then a test with assert(...) that sends
        self:send("\(session.selector)", \(session.args.jsonText)) and checks the answer, and would have failed before the fix.
        """
    }
}
