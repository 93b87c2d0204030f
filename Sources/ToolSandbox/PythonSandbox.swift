import JSON

/// Runs Python tools as `python3` in an OS sandbox (bubblewrap by default, or gVisor's runsc):
/// no network, nothing of the host's file system but /usr (read-only), a private writable temp
/// dir, and limits on CPU time, memory, processes, output and wall time; JSON goes in on stdin
/// and the answer comes back on stdout.
///
/// It never runs a tool unsandboxed: when the configured sandbox is missing, every call throws a
/// ``SandboxError`` that says what to install.
public struct PythonSandbox: Sendable {
    public var runtime: SandboxRuntime
    public var limits: SandboxLimits
    /// The python3 to run inside; nil picks /usr/bin/python3, or else the one on PATH.
    public var python: String?

    public init(runtime: SandboxRuntime = .bubblewrap, limits: SandboxLimits = SandboxLimits(), python: String? = nil) {
        self.runtime = runtime
        self.limits = limits
        self.python = python
    }

    /// Throws the error that names what to install when this sandbox cannot run tools here; the
    /// Tool Forge calls it before offering to write a Python tool.
    public func checkAvailable() throws(SandboxError) {
        let nowhere = StagingDirectory.Layout(root: "/nonexistent")
        _ = try SandboxInvocation.make(runtime: runtime, python: python, limits: limits, staging: nowhere)
    }

    /// Calls the tool's `run(args)` with `arguments` in a fresh sandbox.
    public func run(_ tool: PythonTool, arguments: JSONValue) async throws(SandboxError) -> ToolRun {
        let request: JSONValue = ["mode": "run", "args": arguments]
        let (envelope, outcome) = try await execute(tool, request: request)
        let limit = HarnessEnvelope.limit(of: outcome)
        let result: ToolRun.Outcome
        var limitHit = limit
        switch envelope.status {
        case "answered" where limit == nil || limit == .cpuTime:
            result = .answered(envelope.body?["answer"] ?? .null)
            limitHit = nil
        case "raised", "load_failed":
            let error = envelope.body?["error"]
            result = .raised(HarnessEnvelope.failure(error) ?? PythonFailure(type: "Exception", message: "", traceback: ""))
            limitHit = limit ?? HarnessEnvelope.limit(error)
        case "stopped":
            // The tool's process hit a limit the harness saw (its CPU time).
            let stopped = limit ?? HarnessEnvelope.limit(envelope.body) ?? .cpuTime
            result = .stopped(stopped)
            limitHit = stopped
        case "crashed" where limit == nil:
            result = .crashed
        default:
            result = limit.map(ToolRun.Outcome.stopped) ?? .crashed
        }
        return ToolRun(
            outcome: result,
            limitHit: limitHit,
            standardOutput: excerpt(envelope.toolStandardOutput),
            standardError: excerpt(outcome.standardError),
            exitStatus: outcome.exitStatus,
            duration: outcome.duration
        )
    }

    /// Runs the tool's `test_*` functions in a fresh sandbox and reports each one.
    public func test(_ tool: PythonTool) async throws(SandboxError) -> ToolTestReport {
        let (envelope, outcome) = try await execute(tool, request: ["mode": "test"])
        var report = ToolTestReport(
            cases: [],
            loadFailure: nil,
            limitHit: HarnessEnvelope.limit(of: outcome),
            standardOutput: excerpt(envelope.toolStandardOutput),
            standardError: excerpt(outcome.standardError),
            exitStatus: outcome.exitStatus,
            duration: outcome.duration
        )
        switch envelope.status {
        case "tested":
            for entry in envelope.body?["tests"]?.arrayValue ?? [] {
                let passed = entry["passed"]?.boolValue ?? false
                report.cases.append(ToolTestCase(
                    name: entry["name"]?.stringValue ?? "?",
                    failure: passed ? nil : HarnessEnvelope.failure(entry)
                ))
                if !passed, report.limitHit == nil { report.limitHit = HarnessEnvelope.limit(entry) }
            }
        case "load_failed", "raised":
            report.loadFailure = HarnessEnvelope.failure(envelope.body?["error"])
            if report.limitHit == nil { report.limitHit = HarnessEnvelope.limit(envelope.body?["error"]) }
        default:
            break
        }
        return report
    }

    private func execute(_ tool: PythonTool, request: JSONValue) async throws(SandboxError) -> (HarnessEnvelope, SandboxProcess.Outcome) {
        let staging = try StagingDirectory()
        let invocation = try SandboxInvocation.make(runtime: runtime, python: python, limits: limits, staging: staging.layout)
        try staging.write("harness.py", Harness.source(directory: SandboxInvocation.stagingMount))
        try staging.write("tool.py", tool.source)
        try staging.write("tests.py", tool.tests ?? "")
        // The request carries the run's nonce: it goes in on stdin only, from a file outside what
        // the sandbox sees.
        let nonce = HarnessEnvelope.makeNonce()
        var stamped = request.objectValue ?? [:]
        stamped["nonce"] = .string(nonce)
        try staging.writePrivate("request.json", JSONValue.object(stamped).jsonText)
        try invocation.bundle?.write(to: staging.layout.bundle)
        let outcome = try await SandboxProcess(invocation: invocation, limits: limits)
            .run(standardInputFile: staging.layout.privateFile("request.json"))
        let envelope = HarnessEnvelope(standardOutput: outcome.standardOutput, nonce: nonce)
        if envelope.status == nil, !outcome.timedOut, !outcome.outputTooLarge,
           let message = runtimeStartFailure(outcome) {
            throw .sandboxDidNotStart(runtime, message: message)
        }
        return (envelope, outcome)
    }

    /// The runtime's own complaint when it could not set the sandbox up, or nil when the run
    /// got as far as the tool.
    private func runtimeStartFailure(_ outcome: SandboxProcess.Outcome) -> String? {
        let text = String(decoding: outcome.standardError, as: UTF8.self)
        guard runtime.isStartFailure(standardError: text, exitStatus: outcome.exitStatus) else { return nil }
        return String(text.prefix(2000)).trimmingTrailingNewlines
    }

    private func excerpt(_ bytes: [UInt8]) -> String {
        guard bytes.count > limits.excerptBytes else { return String(decoding: bytes, as: UTF8.self) }
        return String(decoding: bytes.prefix(limits.excerptBytes), as: UTF8.self) + "\n… (\(bytes.count - limits.excerptBytes) more bytes)"
    }
}

extension String {
    fileprivate var trimmingTrailingNewlines: String {
        var text = self
        while text.last?.isNewline == true { text.removeLast() }
        return text
    }
}
