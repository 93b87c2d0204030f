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
        let configured = try options.loadConfig()
        let client = BackendFactory.makeHTTPClient(connectTimeoutSeconds: configured.inference.connectTimeoutSeconds)
        // The servers a4ps would think with: config.toml's, else Ollama, else the embedded model.
        let (config, notice) = await ModelServerChoice.resolve(configured, httpClient: client)
        if let notice { emitLine(notice) }
        let report = await Doctor(config: config, httpClient: client).run()
        try? await client.shutdown()
        emitLine(report.rendered())
        emitLine(embeddedLine(inUse: config.usedBackends().contains { $0.isEmbedded }))
        emitLine(await sandboxLine(config.sandbox))
        if !report.isHealthy { throw ExitCode(1) }
    }

    /// The embedded local model: installed or not (and how to install it), and whether it is in use.
    private func embeddedLine(inUse: Bool) -> String {
        let install = LocalModelInstall.locate()
        guard install.isComplete else {
            return "  \(inUse ? "✗" : "!") embedded model: not installed (missing: \(install.missing.joined(separator: ", "))) — run Scripts/install-local-model"
        }
        return "  ✓ embedded model: llama.cpp \(LocalModelInstall.llamaBuild) (\(install.serverExecutable)), "
            + "\(LocalModelInstall.chatModel) and \(LocalModelInstall.embeddingModel) in \(install.cacheDirectory)/models"
            + (inUse ? " — in use (a4ps starts it on demand; log: \(install.cacheDirectory)/logs/llama-server.log)" : " — not in use")
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
