import AsyncHTTPClient
import Foundation
import TestWaiting
import LivingImage
import NIOCore
import NIOHTTP1
import TestHTTP
import Testing

/// `a4ps serve` as a real process: its token file, its refusals, and SIGTERM ending it with
/// event streams open and gone and a send in flight.
@Suite struct ServeCommandTests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-serve-\(UUID().uuidString)")
    var imagePath: String { dir.appendingPathComponent("served.image").path }
    var tokenPath: String { imagePath + ".token" }
    /// Ollama named and unreachable: no model server is started; only the image matters here.
    var environment: [String: String] {
        ["OLLAMA_HOST": "127.0.0.1:1", "A4PS_CONFIG": dir.appendingPathComponent("config.toml").path]
    }

    init() throws {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try CLIProcess.ollamaOnlyConfig.write(to: dir.appendingPathComponent("config.toml"), atomically: true, encoding: .utf8)
    }

    func serve(_ extra: [String] = []) throws -> ServeProcess {
        try ServeProcess(arguments: ["serve", "--image", imagePath, "--port", "0"] + extra, in: dir, environment: environment)
    }

    @Test func sigtermEndsTheServerWithEventStreamsOpenAndGoneAndASendInFlight() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try serve()
        defer { server.kill() }
        let port = try #require(await server.port(), "a4ps serve did not start: \(server.stderr)")
        #expect(server.output.contains("made the server's token"))
        let token = try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(server.output.components(separatedBy: token).count == 2, "the token is printed once")
        #expect(try FileManager.default.attributesOfItem(atPath: tokenPath)[.posixPermissions] as? Int == 0o600)
        let api = APIClient(base: "http://127.0.0.1:\(port)", token: token)

        let (unauthorized, _, _) = try await api.call(.PUT, "/protos/BRICK/methods/slow", body: "return 1", token: .some(nil))
        #expect(unauthorized == 401)
        let (defined, _, _) = try await api.call(.PUT, "/protos/BRICK/methods/slow", body: "emit('started', {})\nsleep(2)\nreturn 'finished'")
        #expect(defined == 200)

        // One client on the event stream for a moment, then gone; another one stays.
        try await APIClient.withHTTPClient { gone in
            _ = try await api.openEvents(on: gone)
            try await Task.sleep(for: .milliseconds(500))
        }
        let (sent, status, streamed, exit): (Duration, Int, String, Int32?) = try await APIClient.withHTTPClient { staying in
            var stream = try await api.openEvents(on: staying)
            let send = Task { try await api.call(.POST, "/protos/BRICK/send/slow") }
            var seen = ""
            while !seen.contains("started"), let chunk = try await stream.next() { seen += String(buffer: chunk) }
            let signalled = ContinuousClock.now
            kill(server.pid, SIGTERM)
            let exit = try await CLIProcess.offload { server.waitForExit(timeout: 60) }
            let took = ContinuousClock.now - signalled
            let (status, answer, _) = try await send.value
            #expect(answer["answer"] == "finished")
            while let chunk = try await stream.next() { seen += String(buffer: chunk) }
            return (took, status, seen, exit)
        }
        print("a4ps serve: SIGTERM to exit, with event streams open and gone and a send in flight: \(sent)")
        #expect(exit == 0, "a4ps serve did not exit 0 after SIGTERM (\(exit.map(String.init) ?? "still running")): \(server.stderr)")
        #expect(sent < .seconds(30))
        #expect(status == 200, "the send in flight was not finished")
        #expect(streamed.contains("started"))

        // Closed cleanly: the WAL was checkpointed away, and the image opens with the method in it.
        let wal = (try? FileManager.default.attributesOfItem(atPath: imagePath + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0)
        let image = try await Image.open(at: imagePath, create: false, interpreters: 1)
        defer { image.close() }
        #expect(image.memory.proto(named: "BRICK")?.methods["slow"] != nil)
    }

    @Test func theTokenIsPrintedOnlyTheFirstTimeAndALooseTokenFileIsRefused() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try serve()
        defer { first.kill() }
        _ = try #require(await first.port(), "a4ps serve did not start: \(first.stderr)")
        let signalled = ContinuousClock.now
        kill(first.pid, SIGTERM)
        #expect(try await CLIProcess.offload { first.waitForExit(timeout: 60) } == 0)
        print("a4ps serve: SIGTERM to exit, idle: \(ContinuousClock.now - signalled)")
        let token = try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

        let second = try serve()
        defer { second.kill() }
        _ = try #require(await second.port(), "a4ps serve did not start again: \(second.stderr)")
        #expect(!second.output.contains(token), "the token was printed again")
        kill(second.pid, SIGTERM)
        #expect(try await CLIProcess.offload { second.waitForExit(timeout: 60) } == 0)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: tokenPath)
        let refused = try await CLIProcess.run(["serve", "--image", imagePath, "--port", "0"], in: dir, environment: environment)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("chmod 600 \(tokenPath)"), "\(refused.stderr)")
    }
}

/// A running `a4ps serve`: what it printed, its port, its exit.
final class ServeProcess: @unchecked Sendable {
    private let process = ChildProcess()
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var printed = ""
    private var errorText = Data()

    init(arguments: [String], in directory: URL, environment: [String: String]) throws {
        let output = Pipe(), errors = Pipe()
        process.executableURL = CLIProcess.executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let out = output.fileHandleForReading, err = errors.fileHandleForReading
        Thread { [self] in
            while case let chunk = out.availableData, !chunk.isEmpty {
                condition.withLock { printed += String(decoding: chunk, as: UTF8.self); condition.broadcast() }
            }
            condition.withLock { condition.broadcast() }    // it has exited: no port is coming
        }.start()
        Thread { [self] in
            while case let chunk = err.availableData, !chunk.isEmpty { condition.withLock { errorText.append(chunk) } }
        }.start()
    }

    var pid: Int32 { process.processIdentifier }
    var output: String { condition.withLock { printed } }
    var stderr: String { condition.withLock { String(decoding: errorText, as: UTF8.self) } }

    /// The port from its "serving ... on http://host:PORT" line; nil when it exits or 120 s pass first.
    func port() async -> Int? {
        try? await CLIProcess.offload { [self] in
            let deadline = Date(timeIntervalSinceNow: 120)
            return condition.withLock { () -> Int? in
                while true {
                    if let range = printed.range(of: #"on http://[^ ]+:(\d+)"#, options: .regularExpression),
                       let colon = printed[range].lastIndex(of: ":") {
                        return Int(printed[range][printed.index(after: colon)...])
                    }
                    if !process.isRunning || !condition.wait(until: deadline) { return nil }
                }
            }
        }
    }

    /// Waits for it to exit: its status, or nil when it still runs after `timeout` seconds (then it is killed).
    func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        guard !process.isRunning else {
            kill()
            return nil
        }
        return process.terminationReason == .exit ? process.terminationStatus : 128 + process.terminationStatus
    }

    /// Kills it if it still runs (a failed test leaves no process behind).
    func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
