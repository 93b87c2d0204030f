@testable import A4PS
import Foundation
import LivingImage
import ScriptedModelServer
import Testing

/// Self-modification installs what it verified: the forge and the debugger swap a candidate in
/// against the very version they verified it on, verify again (a bounded number of times) when the
/// proto changed meanwhile, and never overwrite a redefinition made in between; a debugger fix
/// must repair the failing message and come with a test that fails on the old code.
@Suite struct VerifiedInstallTests {
    func brick(_ replies: [String]) -> Script {
        Script(rules: [.init(model: "phi3:mini-4k-instruct", replies: replies)])
    }

    /// Makes ALFRED's review — which runs after the candidate's tests passed — change BRICK through
    /// `BRICK>>bump` first: the proto the candidate was verified on is then no longer current.
    func changeBrickDuringEachReview(_ image: Image, bump: String) async throws {
        try await image.defineMethod("bump", on: "BRICK", source: bump)
        let review = try #require(image.memory.proto(named: "ALFRED")?.methods["review"]?.source)
        try await image.defineMethod("review", on: "ALFRED", source: "send('BRICK', 'bump', {})\n" + review)
    }

    @Test func aProtoChangedAfterVerificationIsVerifiedAgainBeforeTheInstall() async throws {
        try await withRuntime(brick([ToolForgeTests.right])) { runtime, _ in
            // Only the first review changes BRICK.
            try await changeBrickDuringEachReview(runtime.image, bump: "if not self:get('bumped') then self:set('bumped', true) end return 1")
            let events = runtime.image.events.subscribe()
            let result = try await runtime.forge.forge(proto: "BRICK", selector: "double", description: "doubles n", exampleArgs: ["n": 2])
            #expect(result.succeeded, "\(result.attempts.map(\.errors))")
            #expect(result.attempts.count == 1)
            let brick = try #require(runtime.image.memory.proto(named: "BRICK"))
            #expect(brick.slots["bumped"] == true && brick.methods["double"] != nil)
            let stages = await readEvents(events, "the forge installed") { event in
                if case .emitted(_, "forge.installed", _) = event { return true }
                return false
            }.compactMap { event -> String? in
                guard case .emitted(_, let name, _) = event, name.hasPrefix("forge.") else { return nil }
                return name
            }
            #expect(stages == ["forge.started", "forge.reverifying", "forge.installed"])
        }
    }

    @Test func aProtoThatKeepsChangingIsNotInstalledUnverified() async throws {
        try await withRuntime(brick([ToolForgeTests.right])) { runtime, _ in
            // Every review changes BRICK: no verification ever matches the current version.
            try await changeBrickDuringEachReview(runtime.image, bump: "self:set('n', (self:get('n') or 0) + 1) return 1")
            let result = try await runtime.forge.forge(proto: "BRICK", selector: "double", description: "doubles n", exampleArgs: ["n": 2])
            #expect(!result.succeeded)
            #expect(result.attempts.last?.errors.contains { $0.contains("the swap failed") && $0.contains("changed while") } == true)
            let brick = try #require(runtime.image.memory.proto(named: "BRICK"))
            #expect(brick.methods["double"] == nil)
            #expect(brick.slots["n"] == .integer(Int64(ToolForge.maxVerifications)))
        }
    }

    @Test func aFixNeverOverwritesARedefinitionMadeMeanwhile() async throws {
        let script = Script(rules: [.init(model: "phi3:mini-4k-instruct", contains: "failed when", reply: LiveDebuggerTests.fix)])
        try await withRuntime(script) { runtime, server in
            try await runtime.image.defineMethod("count", on: "BABS", source: "-- counts the items\nreturn #args.items")
            _ = try? await runtime.image.send("BABS", "count", [:])
            let session = try await LiveDebuggerTests().waitForSession(runtime)
            // A person repairs it their way while the DEBUGGER works: as if the fix had begun (and read the
            // session as open) just before, the session is still open when the fix is verified.
            let mine = "-- counts the items, mine\nreturn args.items and #args.items or 0"
            try await runtime.image.defineMethod("count", on: "BABS", source: mine)
            try await waitUntil("the redefinition closed the session") { try runtime.debugger.session(session.id).status != .open }
            try runtime.debugger.store.close(session.id, status: .open, fixChange: nil)

            let result = try await runtime.debugger.fix(session.id)
            #expect(!result.succeeded)
            #expect(result.attempts.last?.errors.first?.contains("was redefined meanwhile") == true, "\(result.attempts.map(\.errors))")
            #expect(runtime.image.memory.proto(named: "BABS")?.methods["count"]?.source == mine)
            #expect(try await chatRequests(server).count == 1)
        }
    }

    @Test func aFixMustRepairTheFailingMessageWithATestThatReproducesIt() async throws {
        func answer(_ code: String, _ tests: String) -> String { (["code": .string(code), "tests": .string(tests)] as JSONValue).jsonText }
        // Passes its own test, which fails on the old code — but `half {n = 4}` still fails.
        let beside = answer("-- ROBIN>>half: halves n\nif args.k then return 1 end\nreturn args.n.value / 2",
                            "assert(self:send('half', {k = 1}) == 1)")
        // Repairs the message, but its test passes on the old code too: it reproduces nothing.
        let untested = answer("-- ROBIN>>half: halves n\nreturn args.n / 2", "assert(true)")
        let right = answer("-- ROBIN>>half: halves n\nreturn args.n / 2", "assert(self:send('half', {n = 4}) == 2)")
        try await withRuntime(brick([beside, untested, right])) { runtime, _ in
            try await runtime.image.defineMethod("half", on: "ROBIN", source: "return args.n.value / 2")
            _ = try? await runtime.image.send("ROBIN", "half", ["n": 4])
            let session = try await LiveDebuggerTests().waitForSession(runtime)

            let result = try await runtime.debugger.fix(session.id)
            #expect(result.succeeded, "\(result.attempts.map(\.errors))")
            #expect(result.attempts.count == 3)
            #expect(result.attempts[0].errors.contains { $0.contains("the failing message (ROBIN half {\"n\":4}) still fails") },
                    "\(result.attempts[0].errors)")
            #expect(result.attempts[1].errors.contains { $0.contains("the new test passes on the old code too") },
                    "\(result.attempts[1].errors)")
            #expect(try await runtime.debugger.retry(session.id) == 2.0)
            #expect(runtime.image.memory.proto(named: "ROBIN")?.slots["tests"]?["half"]?.stringValue?.contains("== 2") == true)
        }
    }
}
