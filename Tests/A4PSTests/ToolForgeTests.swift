@testable import A4PS
import Foundation
import LivingImage
import ScriptedModelServer
import Testing

/// The Tool Forge with a scripted BRICK: a missing method grows while the system runs.
@Suite struct ToolForgeTests {
    /// A forge answer as the forge asks for it: `{"code": …, "tests": …}`, the code fenced or not.
    static func answer(_ method: String, _ tests: String, fenced: Bool = true) -> String {
        let code = fenced ? "```lua\n\(method)\n```" : method
        return (["code": .string(code), "tests": .string(tests)] as JSONValue).jsonText
    }

    static let doubleTests = "assert(self:send('double', {n = 2}) == 4, 'double of 2 should be 4')\nassert(self:send('double', {n = -3}) == -6)"
    static let wrong = answer("-- BRICK>>double: doubles n\nreturn args.n * 3", doubleTests)
    static let right = answer("-- BRICK>>double: doubles n\nreturn args.n * 2", doubleTests, fenced: false)

    func brick(_ replies: [String]) -> Script {
        Script(rules: [.init(model: "phi3:mini-4k-instruct", replies: replies)])
    }

    @Test func aWrongMethodIsFixedFromItsErrorsAndTheCallerGetsTheAnswer() async throws {
        try await withRuntime(brick([Self.wrong, Self.right])) { runtime, server in
            // Nobody understands `double`: doesNotUnderstand asks ALFRED, the forge grows it, the message is sent again.
            let answer = try await runtime.image.send("BRICK", "double", ["n": 21])
            #expect(answer == 42)
            let brick = try #require(runtime.image.memory.proto(named: "BRICK"))
            #expect(brick.methods["double"]?.source.contains("args.n * 2") == true)
            #expect(brick.slots["tests"]?["double"]?.stringValue?.contains("double of 2 should be 4") == true)
            let change = try #require(try runtime.image.history(proto: "BRICK", subject: "method:double").last)
            #expect(change.author == .forge)
            let provenance = try JSONValue(parsing: change.reason)
            #expect(provenance["attempts"]?.arrayValue?.count == 2)
            #expect(provenance["attempts"]?[0]?["errors"]?[0]?.stringValue?.contains("double of 2 should be 4") == true)
            #expect(provenance["model"] == "phi3:mini-4k-instruct")
            // BRICK's second prompt carried the failure.
            let prompts = try await chatRequests(server).compactMap { $0["messages"]?.arrayValue?.last?["content"]?.stringValue }
            #expect(prompts.count == 2)
            #expect(prompts[1].contains("double of 2 should be 4"))
        }
    }

    @Test func aForgeThatNeverSucceedsLeavesTheProtoUnchanged() async throws {
        try await withRuntime(brick([Self.wrong])) { runtime, _ in
            let before = runtime.image.memory.proto(named: "BRICK")
            let answer = try await runtime.image.send("BRICK", "double", ["n": 21])
            #expect(answer["status"] == "not understood")
            #expect(answer["forge"]?.stringValue?.contains("could not forge BRICK>>double in 3 attempts") == true)
            #expect(runtime.image.memory.proto(named: "BRICK") == before)
        }
    }

    @Test func aCandidateThatBreaksAnExistingTestIsRejected() async throws {
        try await withRuntime(brick([Self.right])) { runtime, _ in
            try await installAsForged("tests", of: "BRICK", [
                "countdown": "local n = 0 for _ in pairs(self:describe().methods) do n = n + 1 end assert(n == 1, 'BRICK keeps one method')",
            ], in: runtime.image)
            let result = try await runtime.forge.forge(proto: "BRICK", selector: "double", description: "doubles n", exampleArgs: ["n": 2])
            #expect(!result.succeeded)
            #expect(result.attempts.allSatisfy { $0.errors.contains { $0.contains("BRICK keeps one method") } })
            #expect(runtime.image.memory.proto(named: "BRICK")?.methods["double"] == nil)
        }
    }

    @Test func aCandidateForAnotherProtosMethodIsRejected() async throws {
        let robins = Self.answer("-- ROBIN>>double: doubles n\nreturn args.n * 2", Self.doubleTests)
        try await withRuntime(brick([robins])) { runtime, _ in
            let result = try await runtime.forge.forge(proto: "BRICK", selector: "double", description: "doubles n")
            #expect(!result.succeeded)
            #expect(result.attempts[0].errors == ["the candidate is for ROBIN>>double, but the forge was asked for BRICK>>double"])
            #expect(runtime.image.memory.proto(named: "ROBIN")?.methods["double"] == nil)
        }
    }

    @Test func alfredVetoesForbiddenPrimitives() async throws {
        let sneaky = Self.answer("-- BRICK>>double: doubles n (os.execute would be faster)\nreturn args.n * 2", Self.doubleTests)
        try await withRuntime(brick([sneaky])) { runtime, _ in
            let result = try await runtime.forge.forge(proto: "BRICK", selector: "double", description: "doubles n")
            #expect(!result.succeeded)
            #expect(result.attempts[0].errors.contains { $0.contains("forbidden primitive 'os.execute'") })
        }
    }

    @Test func withTheForgeOffTheAnswerIsNotUnderstood() async throws {
        try await withRuntime(brick([Self.right])) { runtime, server in
            var alfred = try #require(runtime.image.memory.proto(named: "ALFRED"))
            var codex = alfred.codex.objectValue ?? [:]
            var governance = codex["governance"]?.objectValue ?? [:]
            governance["forge_policy"] = "off"
            codex["governance"] = .object(governance)
            alfred.codex = .object(codex)
            try await runtime.image.memory.swap(alfred, expecting: alfred.version, author: .architect, reason: "forge off")
            let answer = try await runtime.image.send("BRICK", "double", ["n": 1])
            #expect(answer["status"] == "not understood")
            #expect(answer["forge"]?.stringValue?.contains("forge is off") == true)
            #expect(try await chatRequests(server).isEmpty)
        }
    }

    @Test func extractionReadsTheStructuredAnswerAndCopesWithFencesInside() {
        let fenced: JSONValue = ["code": "Sure!\n```lua\nreturn 1\n```\ntext", "tests": "  assert(true)\n"]
        #expect(CodeExtractor.extract(fenced).map { [$0.method, $0.tests] } == ["return 1", "assert(true)"])
        let declared: JSONValue = ["code": "-- BRICK>>inc: adds one\nreturn args.n + 1", "tests": "assert(self:send('inc', {n = 1}) == 2)"]
        #expect(CodeExtractor.extract(declared)?.declaredTarget == "BRICK>>inc:")
        #expect(CodeExtractor.extract(["code": "return 1", "tests": ""]) == nil)
        #expect(CodeExtractor.extract(["answer": "I cannot do that."]) == nil)
    }

    @Test func anAnswerThatIsNotTheJSONAskedForIsAFailedAttemptToldToBrick() async throws {
        try await withRuntime(brick(["Certainly! ```lua\nreturn args.n * 2\n```", Self.right])) { runtime, server in
            let result = try await runtime.forge.forge(proto: "BRICK", selector: "double", description: "doubles n", exampleArgs: ["n": 2])
            #expect(result.succeeded)
            #expect(result.attempts.count == 2)
            #expect(result.attempts[0].errors.first?.contains("not the JSON object asked for") == true)
            // Both requests carried the schema as the server's own constraint, and a token limit.
            let requests = try await chatRequests(server)
            #expect(requests.count == 2)
            #expect(requests.allSatisfy { $0["format"]?["required"] == ["code", "tests"] })
            #expect(requests.allSatisfy { $0["options"]?["num_predict"]?.intValue == 1_000 })
            #expect(requests[1]["messages"]?.arrayValue?.last?["content"]?.stringValue?.contains("not the JSON object asked for") == true)
        }
    }

    @Test func aForgeDuringARunningDeliberationDoesNotDisturbIt() async throws {
        let verdict = #"{"scores": [{"viability": 9, "alignment": 9}], "answer": "agreed", "agree": true}"#
        let halve = Self.answer("-- BABS>>halve: halves n\nreturn args.n / 2", "assert(self:send('halve', {n = 4}) == 2)")
        let script = Script(rules: [
            .init(model: "phi3:mini-4k-instruct", contains: "Write the Lua method", reply: halve),
            .init(model: "phi3:mini-4k-instruct", contains: "Propose three", json: JSONText(DeliberationTests.thoughts)),
            .init(model: "llama3.1:8b-instruct", contains: "Evaluate each", json: JSONText(verdict), tokenDelayMilliseconds: 20, chunkCharacters: 8),
            .init(model: "gemma2:9b-instruct", contains: "Synthesize", reply: "Settled."),
        ])
        try await withRuntime(script) { runtime, _ in
            async let deliberation = runtime.runner.start(graph: "ALFRED.deliberation", state: ["task": "Keep calm", "max_turns": 2])
            async let forged = runtime.forge.forge(proto: "BABS", selector: "halve", description: "halves n", exampleArgs: ["n": 4])
            let (run, forge) = try await (deliberation, forged)
            #expect(forge.succeeded)
            #expect(run.status == .done)
            #expect(try await runtime.runner.history(run.id).last?.state["answer"] == "Settled.")
            #expect(try await runtime.image.send("BABS", "halve", ["n": 9]) == 4.5)
        }
    }
}
