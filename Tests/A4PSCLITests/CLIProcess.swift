import Foundation
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

    /// Runs `a4ps ARGS` to completion in `directory`.
    static func run(_ arguments: [String], in directory: URL, stdin: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { try input.fileHandleForWriting.write(contentsOf: Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData, as: UTF8.self))
    }
}
