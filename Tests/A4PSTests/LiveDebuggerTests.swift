@testable import A4PS
import Foundation
import LivingImage
import ScriptedModelServer
import Testing

/// The live debugger: a method that raises opens a session; the DEBUGGER persona repairs it.
@Suite struct LiveDebuggerTests {
    static let fix = ([
        "code": "-- BABS>>count: counts the items\nreturn #(args.items or {})",
        "tests": "assert(self:send(\"count\", {}) == 0, \"no items count as zero\")\nassert(self:send(\"count\", {items = {1, 2}}) == 2)",
    ] as JSONValue).jsonText

    /// Waits (see ``patience``) for the newest debug session that `matches`; a session that never
    /// opens fails the test.
    func waitForSession(_ runtime: Runtime, sourceLocation: SourceLocation = #_sourceLocation,
                        where matches: (DebugSession) -> Bool = { _ in true }) async throws -> DebugSession {
        var found: DebugSession?
        try await waitUntil("a debug session was opened", sourceLocation: sourceLocation) {
            found = try runtime.debugger.sessions().first(where: matches)
            return found != nil
        }
        return try #require(found, sourceLocation: sourceLocation)
    }

    /// The debugger handles the image's events one at a time, in order. A marker method that fails
    /// after everything else has failed opens its session only once every earlier failure has been
    /// handled: after it, the sessions are exactly those the earlier failures opened.
    func settle(_ runtime: Runtime, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let marker = "settled\(UUID().uuidString.prefix(8))"
        try await runtime.image.defineMethod(marker, on: "BABS", source: "error('marker failure')")
        _ = try? await runtime.image.send("BABS", marker)
        _ = try await waitForSession(runtime, sourceLocation: sourceLocation) { $0.selector == marker }
    }

    @Test func aRaisingMethodOpensASessionTheDebuggerFixesItAndTheMessageIsRetried() async throws {
        let script = Script(rules: [.init(model: "phi3:mini-4k-instruct", contains: "failed when", reply: Self.fix)])
        try await withRuntime(script) { runtime, server in
            try await runtime.image.defineMethod("count", on: "BABS", source: "-- counts the items\nreturn #args.items")
            await #expect(throws: ImageError.self) { try await runtime.image.send("BABS", "count", [:]) }
            let session = try await waitForSession(runtime)
            #expect(session.status == .open)
            #expect(session.owner == "BABS" && session.selector == "count")
            #expect(session.args == [:])
            #expect(session.error.contains("attempt to get length of a nil value"))
            #expect(session.source == "-- counts the items\nreturn #args.items")

            let result = try await runtime.debugger.fix(session.id)
            #expect(result.succeeded)
            let change = try #require(result.change)
            #expect(change.author == .debugger)
            #expect(try runtime.debugger.session(session.id).status == .fixed)
            #expect(try await runtime.debugger.retry(session.id) == 0)
            let prompt = try await chatRequests(server).last?["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
            #expect(prompt.contains("attempt to get length of a nil value"))
            #expect(prompt.contains("return #args.items"))
            let system = try await chatRequests(server).last?["messages"]?.arrayValue?.first?["content"]
            #expect(system == runtime.image.memory.proto(named: "DEBUGGER")?.codex["system_prompt"])
        }
    }

    @Test func aRunningSystemRepairsAFailingMethodOnItsOwn() async throws {
        let script = Script(rules: [.init(model: "phi3:mini-4k-instruct", contains: "failed when", reply: Self.fix)])
        try await withRuntime(script, repairing: true) { runtime, server in
            let events = runtime.image.events.subscribe()
            try await runtime.image.defineMethod("count", on: "BABS", source: "-- counts the items\nreturn #args.items")
            await #expect(throws: ImageError.self) { try await runtime.image.send("BABS", "count", [:]) }
            // The repair ends with debug.fixed (or debug.unfixed): read the events up to there.
            let read = await readEvents(events, "the debugger reported how its repair ended") { event in
                guard case .emitted(_, let name, _) = event else { return false }
                return name.hasPrefix("debug.") && name != "debug.opened"
            }
            let names = read.compactMap { event -> String? in
                guard case .emitted(_, let name, _) = event, name.hasPrefix("debug.") else { return nil }
                return name
            }
            #expect(names == ["debug.opened", "debug.fixed"])
            let session = try #require(try runtime.debugger.sessions().first)
            #expect(session.status == .fixed)
            #expect(try await runtime.image.send("BABS", "count", [:]) == 0)
            #expect(try await chatRequests(server).count == 1)
        }
    }

    @Test func aFailingPythonToolIsRepairedInTheSandbox() async throws {
        let fix = ([
            "code": "```python\n# BABS>>firstWord: the first word of text, or None\ndef run(args):\n    words = args[\"text\"].split()\n    return words[0] if words else None\n```",
            "tests": "def test_empty_text_has_no_first_word():\n    assert run({\"text\": \"\"}) is None",
        ] as JSONValue).jsonText
        let script = Script(rules: [.init(model: "phi3:mini-4k-instruct", contains: "Python tool BABS>>firstWord failed", reply: fix)])
        try await withRuntime(script) { runtime, server in
            try await installAsForged("python_tools", of: "BABS", ["firstWord": [
                "source": "def run(args):\n    return args[\"text\"].split()[0]",
                "tests": "def test_first_word():\n    assert run({\"text\": \"hello world\"}) == \"hello\"",
            ]], in: runtime.image)
            try await runtime.image.defineMethod("firstWord", on: "BABS", source: PythonTools.bridgeMethod(proto: "BABS", selector: "firstWord"))
            #expect(try await runtime.image.send("BABS", "firstWord", ["text": "hello world"]) == "hello")
            await #expect(throws: ImageError.self) { try await runtime.image.send("BABS", "firstWord", ["text": ""]) }
            let session = try await waitForSession(runtime)
            #expect(session.error.contains("IndexError"))

            let result = try await runtime.debugger.fix(session.id)
            #expect(result.succeeded, "\(result.attempts.map(\.errors))")
            #expect(result.language == .python)
            let tool = try #require(runtime.image.memory.proto(named: "BABS")?.slots["python_tools"]?["firstWord"])
            #expect(tool["source"]?.stringValue?.contains("if words else None") == true)
            // The earlier test is kept alongside the new one.
            #expect(tool["tests"]?.stringValue?.contains("test_first_word") == true)
            #expect(tool["tests"]?.stringValue?.contains("test_empty_text_has_no_first_word") == true)
            #expect(try await runtime.debugger.retry(session.id) == .null)
            #expect(try await runtime.image.send("BABS", "firstWord", ["text": "hello world"]) == "hello")
            let prompt = try await chatRequests(server).last?["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
            #expect(prompt.contains("return args[\"text\"].split()[0]"))
            #expect(prompt.contains("IndexError"))
        }
    }

    @Test func aMethodThatKeepsFailingHasOneOpenSession() async throws {
        try await withRuntime { runtime, _ in
            try await runtime.image.defineMethod("half", on: "ROBIN", source: "return args.n.value / 2")
            for _ in 0..<3 { _ = try? await runtime.image.send("ROBIN", "half", ["n": 4]) }
            // Once all three failures are handled, they have opened exactly one session.
            try await settle(runtime)
            let halves = { try runtime.debugger.sessions().filter { $0.owner == "ROBIN" && $0.selector == "half" } }
            #expect(try halves().count == 1)
            // Once it is closed, a new failure opens a new session.
            let first = try #require(try halves().first)
            _ = try await runtime.debugger.close(first.id)
            _ = try? await runtime.image.send("ROBIN", "half", ["n": 4])
            let second = try await waitForSession(runtime) { $0.selector == "half" && $0.id != first.id }
            #expect(second.status == .open)
            try await settle(runtime)
            #expect(try halves().map(\.id) == [second.id, first.id])
        }
    }

    @Test func redefiningTheMethodClosesItsSession() async throws {
        try await withRuntime { runtime, _ in
            try await runtime.image.defineMethod("half", on: "ROBIN", source: "return args.n.value / 2")
            _ = try? await runtime.image.send("ROBIN", "half", ["n": 4])
            let session = try await waitForSession(runtime)
            let change = try #require(try await runtime.image.defineMethod("half", on: "ROBIN", source: "return args.n / 2"))
            try await waitUntil("the redefinition closed the session") { try runtime.debugger.session(session.id).status != .open }
            let closed = try runtime.debugger.session(session.id)
            #expect(closed.status == .closed)
            #expect(closed.fixChange == change.id)
        }
    }

    @Test func aPersonClosesASessionWithTheirOwnFix() async throws {
        try await withRuntime { runtime, _ in
            try await runtime.image.defineMethod("half", on: "ROBIN", source: "return args.n.value / 2")
            _ = try? await runtime.image.send("ROBIN", "half", ["n": 4])
            let session = try await waitForSession(runtime)
            let change = try await runtime.debugger.close(session.id, source: "return args.n / 2")
            #expect(change?.author == .architect)
            #expect(try runtime.debugger.session(session.id).status == .closed)
            #expect(try await runtime.debugger.retry(session.id) == 2.0)
        }
    }

    @Test func trialsAndNestedFailuresOpenNoExtraSessions() async throws {
        try await withRuntime { runtime, _ in
            try await runtime.image.defineMethod("inner", on: "ROBIN", source: "error('inner broke')")
            try await runtime.image.defineMethod("outer", on: "BRICK", source: "return send('ROBIN', 'inner', {})")
            _ = try? await runtime.image.send("BRICK", "outer")
            var clone = try #require(runtime.image.memory.proto(named: "BABS"))
            clone.define("boom", source: "error('only a trial')")
            _ = try? await runtime.image.trial(clone, "BABS", "boom")
            // Once both failures are handled: one session, for the method that raised first.
            try await settle(runtime)
            let sessions = try runtime.debugger.sessions().filter { !$0.selector.hasPrefix("settled") }
            #expect(sessions.count == 1)
            #expect(sessions.first?.owner == "ROBIN" && sessions.first?.selector == "inner")
        }
    }
}
