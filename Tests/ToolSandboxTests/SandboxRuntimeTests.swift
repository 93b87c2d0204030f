import Foundation
import Testing
import ToolSandbox

/// The gVisor runtime itself: that it runs where runsc is installed, and says so when it cannot.
@Suite("The gVisor runtime")
struct SandboxRuntimeTests {
    @Test(
        .enabled("runsc is not installed or cannot start on this host, so the gVisor cases of the escape and tool tests are skipped") {
            if let reason = await SandboxRuntimes.gVisorUnavailable {
                print("gVisor cases skipped: \(reason)")
                return false
            }
            return true
        }
    )
    func gVisorRunsToolsWhereRunscIsInstalled() async {
        if case .broken(let problem) = await SandboxRuntimes.gVisorProbe.value {
            Issue.record("runsc starts but cannot run a tool, so the gVisor cases are skipped: \(problem)")
        }
    }

    @Test(.enabled("runsc is not installed") { SandboxRuntimes.runscInstalled })
    func runscThatCannotStartGivesAClearError() async throws {
        // A runsc that fails the way a misconfigured one does: its own error on stderr, exit 128.
        let directory = try HostDirectory()
        let wrapper = directory.path + "/runsc"
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let runsc = try #require((path + ["/usr/local/bin", "/usr/bin"]).map { $0 + "/runsc" }
            .first(where: FileManager.default.isExecutableFile(atPath:)))
        try "#!/bin/sh\nexec \(runsc) --platform=no-such-platform \"$@\"\n".write(toFile: wrapper, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: wrapper)

        let sandbox = PythonSandbox(runtime: .gVisor(executable: wrapper))
        let error = await #expect(throws: SandboxError.self) {
            try await sandbox.run(PythonTool(name: "ok", source: "def run(args):\n    return 1\n"), arguments: nil)
        }
        #expect(error?.code == .sandboxDidNotStart, "\(String(describing: error))")
        #expect(error?.description.contains("no-such-platform") == true, "\(String(describing: error))")
        #expect(await runscSurvivors().isEmpty)
    }
}
