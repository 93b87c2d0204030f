import JSON
import Testing
import ToolSandbox

@Suite("A tool's tests run in the sandbox")
struct ToolTestRunTests {
    let source = """
        def run(args):
            return args * 2
        """

    @Test(arguments: await SandboxRuntimes.available)
    func passingTestsPass(runtime: SandboxRuntime) async throws {
        let tool = PythonTool(name: "double", source: source, tests: """
            import tool

            def test_doubles():
                assert run(2) == 4

            def test_module_import():
                assert tool.run("a") == "aa"

            def helper_not_a_test():
                assert False
            """)
        let report = try await PythonSandbox(runtime: runtime).test(tool)
        #expect(report.passed, "\(report.feedback)")
        #expect(report.cases.map(\.name) == ["test_doubles", "test_module_import"])
    }

    @Test(arguments: await SandboxRuntimes.available)
    func failingTestsReportTheirAssertions(runtime: SandboxRuntime) async throws {
        let tool = PythonTool(name: "double", source: source, tests: """
            def test_ok():
                assert run(1) == 2

            def test_with_message():
                assert run(2) == 5, "expected five from run(2)"

            def test_bare_assert():
                assert run(3) == 7

            def test_raises():
                run(None)
            """)
        let report = try await PythonSandbox(runtime: runtime).test(tool)
        #expect(!report.passed)
        #expect(report.cases.map(\.passed) == [true, false, false, false])
        let failures = report.failures
        try #require(failures.count == 3)
        #expect(failures[0].failure?.message == "expected five from run(2)")
        #expect(failures[0].failure?.traceback.contains("test_with_message") == true)
        #expect(failures[1].failure?.message == "assertion failed: assert run(3) == 7")
        #expect(failures[2].failure?.type == "TypeError")
        #expect(failures[2].failure?.traceback.contains("return args * 2") == true)
        #expect(report.feedback.contains("test_with_message failed: AssertionError: expected five from run(2)"))
    }

    @Test(arguments: await SandboxRuntimes.available)
    func testsThatDoNotLoadAreReported(runtime: SandboxRuntime) async throws {
        let tool = PythonTool(name: "double", source: source, tests: "def test_x(:\n    pass\n")
        let report = try await PythonSandbox(runtime: runtime).test(tool)
        #expect(!report.passed)
        #expect(report.loadFailure?.type == "SyntaxError")
        #expect(report.feedback.contains("did not load"))
    }

    @Test(arguments: await SandboxRuntimes.available)
    func aHangingTestIsStoppedAndNamed(runtime: SandboxRuntime) async throws {
        var limits = SandboxLimits()
        // Long enough for the sandbox, the harness and the tool's process to start on a busy
        // machine (gVisor's start is the slowest) and reach the hanging test; the test sleeps far longer.
        limits.wallTime = .seconds(6)
        let tool = PythonTool(name: "double", source: source, tests: """
            import time
            def test_fine():
                assert run(1) == 2

            def test_hangs():
                time.sleep(60)
            """)
        let report = try await PythonSandbox(runtime: runtime, limits: limits).test(tool)
        #expect(report.limitHit == .wallTime)
        #expect(report.feedback.contains("running test_hangs"))
    }
}
