import A4PS
import ArgumentParser
import Foundation
import Inference
import ToolSandbox

/// `a4ps doctor`: is everything a4ps needs there, and what to do about what is not.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check each configured model server, each persona's model, the VRAM budget and the Python sandbox; say what to do."
    )
    @OptionGroup var options: ImageOptions

    func run() async throws {
        let config = try options.loadConfig()
        let client = BackendFactory.makeHTTPClient(connectTimeoutSeconds: config.inference.connectTimeoutSeconds)
        let report = await Doctor(config: config, httpClient: client).run()
        try? await client.shutdown()
        emitLine(report.rendered())
        emitLine(await sandboxLine(config.sandbox))
        if !report.isHealthy { throw ExitCode(1) }
    }

    /// Whether Python tools can run: a real tool run in the configured sandbox. Python tools are
    /// optional, so a missing sandbox is a warning, not a failure of the check.
    private func sandboxLine(_ settings: SandboxSettings) async -> String {
        let sandbox = PythonSandbox(settings: settings)
        let probe = PythonTool(name: "doctor", source: "def run(args):\n    return args + 1")
        do {
            let run = try await sandbox.run(probe, arguments: 41)
            guard run.answer == 42 else {
                return "  ! sandbox (\(sandbox.runtime)): a test tool did not answer (\(run.outcome)); stderr: \(run.standardError)"
            }
            return "  ✓ sandbox (\(sandbox.runtime)): a test tool ran in \(Int(run.duration / .milliseconds(1))) ms"
        } catch {
            return "  ! sandbox: \(error) — the Tool Forge refuses Python tools until this is fixed (Lua methods are unaffected)"
        }
    }
}
