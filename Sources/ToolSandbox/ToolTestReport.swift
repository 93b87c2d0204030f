/// What running a Python tool's tests in the sandbox came to: each `test_*` function's result,
/// or why none could run.
public struct ToolTestReport: Sendable {
    /// Each test function, in the order the tests define them.
    public var cases: [ToolTestCase]
    /// Set when the tool or its tests did not load (a syntax error, an import that failed).
    public var loadFailure: PythonFailure?
    /// The limit the run ran into, if any (a test that loops is stopped at the wall time).
    public var limitHit: SandboxLimit?
    /// The start of what the tool and tests printed on stdout.
    public var standardOutput: String
    /// The start of stderr; the harness writes `a4ps-sandbox: running test_x` before each test,
    /// so the last such line names the test that was running when a limit stopped the run.
    public var standardError: String
    /// How the sandbox process ended.
    public var exitStatus: SandboxExitStatus
    /// Wall-clock time from launch to the end of the sandbox.
    public var duration: Duration

    /// True when every test ran and passed (and there was at least one).
    public var passed: Bool {
        loadFailure == nil && limitHit == nil && !cases.isEmpty && cases.allSatisfy(\.passed)
    }

    /// The tests that failed.
    public var failures: [ToolTestCase] { cases.filter { !$0.passed } }

    /// A plain-text account of what went wrong, to feed back to the model that wrote the tool.
    public var feedback: String {
        if passed { return "all \(cases.count) tests passed" }
        var lines: [String] = []
        if let loadFailure {
            lines.append("The tool or its tests did not load: \(loadFailure)")
            lines.append(loadFailure.traceback)
        }
        if let limitHit {
            let running = standardError.split(separator: "\n")
                .last { $0.hasPrefix("a4ps-sandbox: running ") }
                .map { " while " + $0.dropFirst("a4ps-sandbox: ".count) } ?? ""
            lines.append("The run was stopped at the \(limitHit) limit\(running).")
        }
        if loadFailure == nil && limitHit == nil && cases.isEmpty {
            lines.append("No test_* functions were found in the tests.")
        }
        for test in failures {
            guard let failure = test.failure else { continue }
            lines.append("\(test.name) failed: \(failure)")
            lines.append(failure.traceback)
        }
        return lines.joined(separator: "\n")
    }
}
