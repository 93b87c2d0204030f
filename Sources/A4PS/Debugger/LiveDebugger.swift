import Foundation
import Inference
import LivingImage
import ToolSandbox

/// The live debugger sub-agent: a method that raises during a real send opens a debug session
/// (the message, its arguments, the error, the traceback, the source); the DEBUGGER persona
/// proposes a fix, verified on a clone as the Tool Forge verifies a candidate (its new test, every
/// existing test of the proto, ALFRED's review, the governor) and more: the failing message,
/// replayed on the clone, must succeed, and the new test must fail on the old code. It is swapped
/// in against the version it was verified on, and never over a redefinition made meanwhile; the
/// failing message can then be sent again. A person may instead close a session with a fix of
/// their own.
///
/// A method that keeps failing opens one session until it is repaired; redefining the method
/// closes its open sessions. In a long-running process
/// (`a4ps serve`) the debugger repairs each new session at once, one at a time, while the
/// DEBUGGER's codex says `auto_fix = "on"`; elsewhere fixes run on request (`a4ps debug fix`).
public struct LiveDebugger: Sendable {
    let image: Image
    let models: ModelManager
    let sandbox: PythonSandbox
    let store: DebugStore
    let maxAttempts: Int

    init(image: Image, models: ModelManager, sandbox: PythonSandbox, maxAttempts: Int = 3) throws {
        self.image = image
        self.models = models
        self.sandbox = sandbox
        self.store = try DebugStore(database: image.database)
        self.maxAttempts = maxAttempts
    }

    /// Opens sessions for methods that raise, until the image's event stream ends; with
    /// `repairing`, also asks for a fix of each new session (when the codex allows it). Repairs
    /// still running when the stream ends are cancelled: nothing is swapped in half-way.
    func watch(repairing: Bool = false) -> Task<Void, Never> {
        let events = image.events.subscribe()
        let (opened, queue) = AsyncStream<Int64>.makeStream()
        return Task {
            await withTaskGroup(of: Void.self) { group in
                if repairing {
                    group.addTask {
                        for await id in opened where !Task.isCancelled && autoFixAllowed {
                            await repair(id)
                        }
                    }
                }
                for await event in events {
                    if case .methodInstalled(let owner, let selector, _, let change) = event {
                        _ = try? store.closeOpen(owner: owner, selector: selector, fixChange: change)
                        continue
                    }
                    guard case .methodRaised(let proto, let selector, let owner, let args, let error, let traceback) = event,
                          !error.contains(" raised: "),  // a failure passed up from a nested send has its own session
                          let source = image.memory.proto(named: owner)?.methods[selector]?.source,
                          let session = try? store.open(DebugSession(id: 0, proto: proto, selector: selector, owner: owner, args: args,
                                                                     error: error, traceback: traceback, source: source, status: .open,
                                                                     fixChange: nil, openedAt: Date()))
                    else { continue }
                    publish("debug.opened", session, [:])
                    queue.yield(session.id)
                }
                queue.finish()
                group.cancelAll()
            }
        }
    }

    /// The DEBUGGER's codex: `auto_fix = "off"` leaves repairs to a person's `a4ps debug fix`.
    private var autoFixAllowed: Bool {
        image.memory.proto(named: "DEBUGGER")?.codex["auto_fix"]?.stringValue != "off"
    }

    private func repair(_ id: Int64) async {
        guard let session = try? session(id), session.status == .open else { return }
        do {
            let result = try await fix(id)
            publish(result.succeeded ? "debug.fixed" : "debug.unfixed", session, [
                "attempts": .int(result.attempts.count), "change": result.change.map { .integer($0.id) } ?? .null,
            ])
        } catch {
            publish("debug.unfixed", session, ["reason": .string("\(error)")])
        }
    }

    private func publish(_ name: String, _ session: DebugSession, _ detail: [String: JSONValue]) {
        let payload: [String: JSONValue] = ["session": .integer(session.id), "proto": .string(session.proto),
                                            "selector": .string(session.selector), "error": .string(session.error)]
        image.events.publish(.emitted(proto: session.owner, name: name, payload: .object(payload.merging(detail) { _, new in new })))
    }

    /// Closes the open sessions of a method a person redefined (`a4ps method define` in another
    /// process; in this one the debugger sees the change itself). Answers the closed sessions' ids.
    public static func closeSessions(of selector: String, on owner: String, redefinedBy change: Int64, in image: Image) throws -> [Int64] {
        try DebugStore(database: image.database).closeOpen(owner: owner, selector: selector, fixChange: change)
    }

    public func sessions(limit: Int = 50) throws -> [DebugSession] { try store.sessions(limit: limit) }

    public func session(_ id: Int64) throws -> DebugSession {
        guard let session = try store.session(id) else { throw ImageError(.noSuchMethod, "there is no debug session \(id) (see `a4ps debug list`)") }
        return session
    }

    /// Asks the DEBUGGER persona for a fix and installs it when it passes; the session closes as `fixed`.
    /// When the failing method answers with a Python tool, the fix is to the tool, verified in the sandbox.
    public func fix(_ id: Int64) async throws -> ForgeResult {
        let session = try session(id)
        guard session.status == .open else { throw ImageError(.invalidValue, "debug session \(id) is already \(session.status.rawValue)") }
        guard let debugger = image.memory.proto(named: "DEBUGGER") else { throw ImageError.noSuchProto("DEBUGGER") }
        let binding = PersonaPrimitives.binding(for: debugger, models: models)
        let forge = ToolForge(image: image, models: models, sandbox: sandbox, maxAttempts: maxAttempts)
        var language = ForgeLanguage.lua
        var prompt = luaPrompt(for: session)
        var toolSource: String?
        if session.source == PythonTools.bridgeMethod(proto: session.owner, selector: session.selector),
           let owner = image.memory.proto(named: session.owner),
           let tool = try? PythonTools.tool(named: session.selector, for: owner, in: image) {
            language = .python
            prompt = pythonPrompt(for: session, tool: tool)
            toolSource = owner.slots[PythonTools.slot]?[session.selector]?["source"]?.stringValue
        }
        // The fix replaces what failed, and only that: a redefinition made while the persona works wins.
        let result = try await forge.attempt(binding, prompt: prompt, proto: session.owner, selector: session.selector, language: language,
                                             author: .debugger, runID: "debug-\(id)", provenance: ["debugSession": .integer(id)],
                                             precondition: .unchanged(source: session.source, toolSource: toolSource), repairing: session)
        if let change = result.change { try store.close(id, status: .fixed, fixChange: change.id) }
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

    private func pythonPrompt(for session: DebugSession, tool: PythonTool) -> String {
        """
        The Python tool \(session.owner)>>\(session.selector) failed when \(session.proto) received `\(session.selector)` with args \(session.args.jsonText).
        Error: \(session.error)

        Its source:
        ```python
        \(tool.source)
        ```

        Its tests:
        ```python
        \(tool.tests ?? "(none)")
        ```

        \(ForgeAnswer.instruction(
            code: "the corrected tool (it defines `def run(args):`; its first line a comment `# \(session.owner)>>\(session.selector): what it does`)",
            tests: "a test function test_* that calls run(\(session.args.jsonText)) with assert on the answer, and would have failed before the fix"))
        """
    }

    private func luaPrompt(for session: DebugSession) -> String {
        """
        The method \(session.owner)>>\(session.selector) failed when \(session.proto) received `\(session.selector)` with args \(session.args.jsonText).
        Error: \(session.error)
        Traceback:
        \(session.traceback ?? "(none)")

        Its source:
        ```lua
        \(session.source)
        ```

        \(ForgeAnswer.instruction(
            code: "the corrected method body, its first line a comment `-- \(session.owner)>>\(session.selector): what it does`",
            tests: "a test with assert(...) that sends self:send(\"\(session.selector)\", \(session.args.jsonText)) and checks the answer, and would have failed before the fix"))
        """
    }
}
