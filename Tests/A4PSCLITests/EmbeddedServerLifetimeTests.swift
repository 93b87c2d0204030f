import Foundation
import TestWaiting
import Inference
import Testing

/// The embedded llama-server never outlives the a4ps process that started it, even when that
/// process is killed with SIGKILL (the lifeline pipe closes and the server is stopped).
@Suite struct EmbeddedServerLifetimeTests {
    @Test func killingA4psLeavesNoLlamaServerBehind() async throws {
        let install = LocalModelInstall.locate()
        try #require(install.isComplete, "the embedded model is not installed: run Scripts/install-local-model")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-lifetime-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("embedded.toml")
        try "[inference]\ndefault_backend = \"embedded\"\n".write(to: config, atomically: true, encoding: .utf8)

        let process = ChildProcess()
        process.executableURL = CLIProcess.executable
        process.arguments = ["think", "ROBIN", "Write a long story about a river, at least five hundred words."]
        process.currentDirectoryURL = dir
        process.environment = ProcessInfo.processInfo.environment.merging(["A4PS_CONFIG": config.path]) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        let a4ps = process.processIdentifier

        // Wait until the server answers tokens: a4ps's preset file names its pid.
        let preset = "models-\(a4ps)-"
        var servers: [Int32] = []
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline, servers.isEmpty || !hasModelChild(servers) {
            servers = processes(whoseCommandLineContains: preset)
            try await Task.sleep(for: .milliseconds(100))
        }
        try #require(!servers.isEmpty, "a4ps never started llama-server")

        let family = servers + servers.flatMap(childProcesses(of:))
        #expect(family.count >= 3, "expected the watchdog, the router and a model process: \(family)")
        kill(a4ps, SIGKILL)
        let gone = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < gone, family.contains(where: isAlive) {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(!family.contains(where: isAlive), "llama-server processes outlived a4ps: \(family.filter(isAlive))")
    }

    private func hasModelChild(_ servers: [Int32]) -> Bool {
        servers.flatMap(childProcesses(of:)).contains { processes(whoseCommandLineContains: "--alias smollm2").contains($0) }
    }
}

/// The state letter of a process (`R`, `S`, `Z`, ...) and its parent, from /proc.
private func status(of pid: Int32) -> (state: Substring, parent: Int32)? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 1, let parent = Int32(fields[1]) else { return nil }
    return (fields[0], parent)
}

func isAlive(_ pid: Int32) -> Bool {
    guard let status = status(of: pid) else { return false }
    return status.state != "Z"
}

func childProcesses(of pid: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    let direct = entries.compactMap { Int32($0) }.filter { status(of: $0)?.parent == pid }
    return direct + direct.flatMap(childProcesses(of:))
}

/// Live (not zombie) processes whose command line contains `text`.
func processes(whoseCommandLineContains text: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { pid in
        guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !raw.isEmpty,
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        guard state != "Z" else { return false }
        let line = String(decoding: raw.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        return line.contains(text)
    }
}
