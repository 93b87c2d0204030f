import JSON
import Testing
import ToolSandbox

@Suite("Python tools run in the sandbox")
struct ToolRunTests {
    @Test(arguments: await SandboxRuntimes.available)
    func correctToolAnswers(runtime: SandboxRuntime) async throws {
        let tool = PythonTool(name: "word_count", source: """
            def run(args):
                print("counting")
                return {"words": len(args["text"].split())}
            """)
        let run = try await PythonSandbox(runtime: runtime).run(tool, arguments: ["text": "the quick brown fox"])
        #expect(run.answer == ["words": 4])
        #expect(run.limitHit == nil)
        #expect(run.standardOutput.contains("counting"))
        #expect(run.exitStatus == .exited(0))
    }

    @Test(arguments: await SandboxRuntimes.available)
    func exceptionComesBackWithTraceback(runtime: SandboxRuntime) async throws {
        let tool = PythonTool(name: "divide", source: """
            def helper(x):
                return 1 / x

            def run(args):
                return helper(args)
            """)
        let run = try await PythonSandbox(runtime: runtime).run(tool, arguments: 0)
        let failure = try #require(run.failure)
        #expect(failure.type == "ZeroDivisionError")
        #expect(failure.message == "division by zero")
        #expect(failure.traceback.contains("in helper"))
        #expect(failure.traceback.contains("return 1 / x"))
        #expect(run.limitHit == nil)
    }

    @Test(arguments: await SandboxRuntimes.available)
    func syntaxErrorAndMissingRunAreFailures(runtime: SandboxRuntime) async throws {
        let broken = try await PythonSandbox(runtime: runtime).run(PythonTool(name: "broken", source: "def run(args)\n    return 1\n"), arguments: nil)
        #expect(broken.failure?.type == "SyntaxError")
        let noRun = try await PythonSandbox(runtime: runtime).run(PythonTool(name: "norun", source: "x = 1\n"), arguments: nil)
        #expect(noRun.failure?.message.contains("run(args)") == true)
    }

    @Test(arguments: await SandboxRuntimes.available)
    func unserializableAnswerIsAFailure(runtime: SandboxRuntime) async throws {
        let run = try await PythonSandbox(runtime: runtime).run(PythonTool(name: "set", source: "def run(args):\n    return {1, 2}\n"), arguments: nil)
        #expect(run.failure?.type == "TypeError")
    }

    @Test(arguments: await SandboxRuntimes.available)
    func hugeOutputIsStoppedAtTheOutputLimit(runtime: SandboxRuntime) async throws {
        var limits = SandboxLimits()
        limits.outputBytes = 64 << 10
        limits.wallTime = .seconds(120) // the output limit, not a busy machine's clock, must stop it
        let tool = PythonTool(name: "chatty", source: """
            import sys
            def run(args):
                while True:
                    sys.stdout.write("x" * 4096)
            """)
        let run = try await PythonSandbox(runtime: runtime, limits: limits).run(tool, arguments: nil)
        #expect(run.limitHit == .output)
        #expect(run.outcome == .stopped(.output))
    }
}
