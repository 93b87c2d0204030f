import Foundation
import TestWaiting
import Synchronization
import Testing

/// Runs the real `a4ps` executable built next to the test bundle.
enum CLIProcess {
    static var executable: URL {
        if let override = ProcessInfo.processInfo.environment["A4PS_BINARY"] { return URL(fileURLWithPath: override) }
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("a4ps")
    }

    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `a4ps ARGS` to completion in `directory`, waiting on a thread of its own so that no
    /// async worker is blocked (in-process servers of the same test need them).
    static func run(_ arguments: [String], in directory: URL, stdin: String? = nil,
                    environment: [String: String] = [:]) async throws -> Output {
        try await offload { try runBlocking(arguments, in: directory, stdin: stdin, environment: environment) }
    }

    /// Runs blocking work on a new thread and awaits its result.
    static func offload<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try work() }) }.start()
        }
    }

    /// A config.toml that names Ollama as the model server, so that a test without a model server
    /// gets Ollama's clear "not reachable" error instead of a4ps choosing the embedded model.
    static let ollamaOnlyConfig = "[inference]\ndefault_backend = \"ollama\"\n"

    private static func runBlocking(_ arguments: [String], in directory: URL, stdin: String?,
                                    environment: [String: String]) throws -> Output {
        let configFile = directory.appendingPathComponent("config.toml")
        if environment["A4PS_CONFIG"] == nil, !FileManager.default.fileExists(atPath: configFile.path) {
            try ollamaOnlyConfig.write(to: configFile, atomically: true, encoding: .utf8)
        }
        let process = ChildProcess()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { try input.fileHandleForWriting.write(contentsOf: Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stderrBox = Mutex<Data>(Data())
        let stderrReader = Thread { stderrBox.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        stderrReader.start()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while stderrReader.isExecuting || !stderrReader.isFinished { Thread.sleep(forTimeInterval: 0.005) }
        let stderrData = stderrBox.withLock { $0 }
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }
}
