@testable import A4PS
import Foundation
import Inference
import LivingImage
import ScriptedModelServer
import Testing
import ToolSandbox

/// The Tool Forge writing Python tools: verified in the OS sandbox (bubblewrap), installed as a
/// slot plus the Lua method that calls it, refused when no sandbox exists.
@Suite struct PythonForgeTests {
    static func answer(_ tool: String, _ tests: String) -> String {
        (["code": .string("```python\n\(tool)\n```"), "tests": .string(tests)] as JSONValue).jsonText
    }

    static let tests = """
        def test_counts_words():
            assert run({"text": "a bb ccc"}) == 3, "three words in 'a bb ccc'"

        def test_empty_text():
            assert run({"text": ""}) == 0
        """
    static let wrong = answer("# BRICK>>wordCount: counts the words of text\ndef run(args):\n    return len(args[\"text\"])", tests)
    static let right = answer("# BRICK>>wordCount: counts the words of text\ndef run(args):\n    return len(args[\"text\"].split())", tests)

    func brick(_ replies: [String]) -> Script {
        Script(rules: [.init(model: "phi3:mini-4k-instruct", replies: replies)])
    }

    /// Sets ALFRED's codex so that `doesNotUnderstand` forges Python tools.
    static func forgePython(_ image: Image) async throws {
        let alfred = try #require(image.memory.proto(named: "ALFRED"))
        var clone = alfred.clone()
        var codex = clone.codex.objectValue ?? [:]
        var governance = codex["governance"]?.objectValue ?? [:]
        governance["forge_language"] = "python"
        codex["governance"] = .object(governance)
        clone.codex = .object(codex)
        _ = try await image.memory.swap(clone, expecting: alfred.version, author: .architect, reason: "forge Python tools")
    }

    @Test func aWrongPythonToolIsFixedFromItsFailingTestAndTheCallerGetsTheAnswer() async throws {
        try await withRuntime(brick([Self.wrong, Self.right])) { runtime, server in
            try await Self.forgePython(runtime.image)
            // Nobody understands `wordCount`: ALFRED's codex says forge Python; the tool runs in bubblewrap.
            let answer = try await runtime.image.send("BRICK", "wordCount", ["text": "the quick brown fox"])
            #expect(answer == 4)
            let brick = try #require(runtime.image.memory.proto(named: "BRICK"))
            #expect(brick.slots["python_tools"]?["wordCount"]?["source"]?.stringValue?.contains(".split()") == true)
            #expect(brick.slots["python_tools"]?["wordCount"]?["tests"]?.stringValue?.contains("test_counts_words") == true)
            #expect(brick.methods["wordCount"]?.source.contains("python(\"wordCount\", args)") == true)
            let change = try #require(try runtime.image.history(proto: "BRICK", subject: "method:wordCount").last)
            #expect(change.author == .forge)
            let provenance = try JSONValue(parsing: change.reason)
            #expect(provenance["language"] == "python")
            #expect(provenance["attempts"]?.arrayValue?.count == 2)
            #expect(provenance["attempts"]?[0]?["errors"]?[0]?.stringValue?.contains("three words in 'a bb ccc'") == true)
            // BRICK was asked for Python, and his second prompt carried the failing assertion.
            let prompts = try await chatRequests(server).compactMap { $0["messages"]?.arrayValue?.last?["content"]?.stringValue }
            #expect(prompts.count == 2)
            #expect(prompts.first?.contains("def run(args):") == true)
            #expect(prompts[1].contains("test_counts_words failed"))
            #expect(prompts[1].contains("three words in 'a bb ccc'"))
        }
    }

    /// Whether runsc can run a tool on this host (the ToolSandbox tests say why when it cannot).
    static var gVisorWorks: Bool {
        get async {
            let probe = PythonTool(name: "probe", source: "def run(args):\n    return 1")
            return (try? await PythonSandbox(runtime: .gVisor()).run(probe, arguments: nil))?.answer == 1
        }
    }

    @Test(.enabled("runsc cannot run tools here (see the ToolSandbox tests)") { await gVisorWorks })
    func withGVisorConfiguredTheToolIsVerifiedAndRunInRunsc() async throws {
        try await withRuntime(brick([Self.right]), configure: { $0.sandbox.runtime = .gvisor }) { runtime, _ in
            #expect(runtime.sandbox.runtime == .gVisor())
            let result = try await runtime.forge.forge(proto: "BRICK", selector: "wordCount", description: "count words", language: .python)
            #expect(result.succeeded, "\(result.attempts.map(\.errors))")
            #expect(try await runtime.image.send("BRICK", "wordCount", ["text": "under the sentry"]) == 3)
        }
    }

    @Test func aPythonForgeThatNeverSucceedsLeavesTheProtoUnchanged() async throws {
        try await withRuntime(brick([Self.wrong])) { runtime, _ in
            let before = runtime.image.memory.proto(named: "BRICK")
            let result = try await runtime.forge.forge(proto: "BRICK", selector: "wordCount", description: "count words",
                                                       exampleArgs: ["text": "a b"], language: .python)
            #expect(!result.succeeded)
            #expect(result.attempts.count == 3)
            #expect(runtime.image.memory.proto(named: "BRICK") == before)
        }
    }

    @Test func withoutASandboxTheForgeRefusesPythonToolsAndNeverRunsOne() async throws {
        try await withRuntime(brick([Self.right]), configure: { $0.sandbox.executable = "/nonexistent/bwrap" }) { runtime, server in
            let refusal = await #expect(throws: ForgeRefusal.self) {
                try await runtime.forge.forge(proto: "BRICK", selector: "wordCount", description: "count words", language: .python)
            }
            #expect(refusal?.reason.contains("refuses to write Python tools") == true)
            #expect(refusal?.reason.contains("apt-get install bubblewrap") == true)
            // BRICK was never asked.
            #expect(try await chatRequests(server).isEmpty)

            // Through doesNotUnderstand the caller gets the refusal as the reason for "not understood".
            try await Self.forgePython(runtime.image)
            let answer = try await runtime.image.send("BRICK", "wordCount", ["text": "a b"])
            #expect(answer["status"] == "not understood")
            #expect(answer["forge"]?.stringValue?.contains("refuses to write Python tools") == true)

            // A tool already in the image is not run unsandboxed either: the send fails cleanly.
            try await installAsForged("python_tools", of: "BRICK", ["wordCount": ["source": "def run(args):\n    return 1"]], in: runtime.image)
            try await runtime.image.defineMethod("wordCount", on: "BRICK", source: PythonTools.bridgeMethod(proto: "BRICK", selector: "wordCount"))
            let before = runtime.image.memory.proto(named: "BRICK")
            let error = await #expect(throws: ImageError.self) {
                try await runtime.image.send("BRICK", "wordCount", ["text": "a b"])
            }
            #expect(error?.description.contains("bubblewrap is not installed") == true)
            #expect(runtime.image.memory.proto(named: "BRICK") == before)
        }
    }

    @Test func aToolThatMisbehavesAtRunTimeFailsCleanly() async throws {
        try await withRuntime(configure: { $0.sandbox.wallTimeSeconds = 1.5 }) { runtime, _ in
            try await installAsForged("python_tools", of: "BRICK", [
                "spin": ["source": "def run(args):\n    while True:\n        pass"],
                "fail": ["source": "def run(args):\n    return {'ratio': 1 / args['n']}"],
                "escape": ["source": "def run(args):\n    open('/usr/escaped.txt', 'w').write('x')\n    return 'escaped'"],
            ], in: runtime.image)
            for name in ["spin", "fail", "escape"] {
                try await runtime.image.defineMethod(name, on: "BRICK", source: PythonTools.bridgeMethod(proto: "BRICK", selector: name))
            }
            let before = runtime.image.memory.proto(named: "BRICK")
            let spin = await #expect(throws: ImageError.self) { try await runtime.image.send("BRICK", "spin") }
            #expect(spin?.description.contains("stopped at the sandbox's") == true, "\(String(describing: spin))")
            let fail = await #expect(throws: ImageError.self) { try await runtime.image.send("BRICK", "fail", ["n": 0]) }
            #expect(fail?.description.contains("ZeroDivisionError") == true, "\(String(describing: fail))")
            let escape = await #expect(throws: ImageError.self) { try await runtime.image.send("BRICK", "escape") }
            #expect(escape?.description.contains("Read-only file system") == true, "\(String(describing: escape))")
            #expect(!FileManager.default.fileExists(atPath: "/usr/escaped.txt"))
            #expect(runtime.image.memory.proto(named: "BRICK") == before)
            // A Lua method can catch the tool's failure like any other error.
            try await runtime.image.defineMethod("safeRatio", on: "BRICK", source: """
                local ok, answer = pcall(self.send, self, "fail", args)
                if ok then return answer end
                return {error = tostring(answer)}
                """)
            let caught = try await runtime.image.send("BRICK", "safeRatio", ["n": 0])
            #expect(caught["error"]?.stringValue?.contains("ZeroDivisionError") == true)
            #expect(try await runtime.image.send("BRICK", "safeRatio", ["n": 4]) == ["ratio": 0.25])
        }
    }

    @Test func alfredVetoesForbiddenPythonNames() async throws {
        let sneaky = Self.answer("# BRICK>>wordCount: counts words\nimport subprocess\ndef run(args):\n    return len(args[\"text\"].split())",
                                 Self.tests)
        try await withRuntime(brick([sneaky])) { runtime, _ in
            let result = try await runtime.forge.forge(proto: "BRICK", selector: "wordCount", description: "count words", language: .python)
            #expect(!result.succeeded)
            #expect(result.attempts[0].errors.contains { $0.contains("forbidden Python name 'subprocess'") })
            #expect(runtime.image.memory.proto(named: "BRICK")?.methods["wordCount"] == nil)
        }
    }

    @Test func pythonCodeIsExtractedFencedOrNot() {
        let unfenced: JSONValue = ["code": "# BRICK>>inc: adds one\ndef run(args):\n    return args + 1",
                                   "tests": "```python\ndef test_inc():\n    assert run(1) == 2\n```"]
        let candidate = CodeExtractor.extract(unfenced, language: .python)
        #expect(candidate?.method == "# BRICK>>inc: adds one\ndef run(args):\n    return args + 1")
        #expect(candidate?.tests == "def test_inc():\n    assert run(1) == 2")
        #expect(candidate?.declaredTarget == "BRICK>>inc:")
    }
}
