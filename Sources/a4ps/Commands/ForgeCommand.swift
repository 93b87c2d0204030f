import A4PS
import ArgumentParser
import Foundation
import LivingImage

/// `a4ps forge PROTO SELECTOR "description" [--python]`: grow a missing method (or a Python tool
/// run in the OS sandbox) with the Tool Forge.
struct ForgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forge",
        abstract: "BRICK writes a missing method (or, with --python, a sandboxed Python tool) and its tests; verified on a clone, checked by ALFRED, then swapped in."
    )
    @OptionGroup var options: ImageOptions
    @Argument(help: "The proto to grow.") var proto: String
    @Argument(help: "The new selector.") var selector: String
    @Argument(help: "What the method must do.") var description: String
    @Option(help: "An example argument, as JSON.") var example: String?
    @Flag(help: "Write a Python tool, run as python3 in the OS sandbox of [sandbox] in config.toml, instead of a Lua method.")
    var python = false
    @Flag(help: "Do not stream BRICK's answers as they are written; print only the outcome.") var quiet = false

    func run() async throws {
        let args = try example.map { try parseJSONArgument($0, what: "--example") } ?? .null
        let (proto, selector, description, quiet) = (proto, selector, description, quiet)
        let language: ForgeLanguage = python ? .python : .lua
        let result = try await options.withRuntime { runtime in
            let watcher = quiet ? nil : Task { await Self.follow(runtime.image.events.subscribe()) }
            defer { watcher?.cancel() }
            return try await runtime.forge.forge(proto: proto, selector: selector, description: description, exampleArgs: args,
                                                 language: language)
        }
        if !quiet { emitLine("") }
        for attempt in result.attempts {
            emitLine("attempt \(attempt.number): " + (attempt.errors.isEmpty ? "passed its tests and ALFRED's review" : "rejected"))
            for error in attempt.errors { emitLine("    " + error.replacingOccurrences(of: "\n", with: "\n    ")) }
        }
        guard let change = result.change else {
            emitLine("could not forge \(proto)>>\(selector) in \(result.attempts.count) attempts; \(proto) is unchanged")
            throw ExitCode(1)
        }
        emitLine("forged \(proto)>>\(selector) (change #\(change.id)); see " + (python
            ? "`a4ps slot get \(proto) python_tools`; call it with `a4ps send \(proto) \(selector) ARGS`"
            : "`a4ps method show \(proto) \(selector)`"))
    }

    /// Streams the forge as it works: BRICK's answers token by token, a rule between attempts.
    private static func follow(_ events: AsyncStream<ImageEvent>) async {
        var attempt = 0
        var answering = false
        for await event in events {
            switch event {
            case .modelToken(_, let run, let text) where run.hasPrefix("forge-"):
                if !answering {
                    attempt += 1
                    answering = true
                    FileHandle.standardOutput.write(Data("\(attempt == 1 ? "" : "\n")— BRICK, attempt \(attempt) —\n".utf8))
                }
                FileHandle.standardOutput.write(Data(text.utf8))
            case .emitted(_, "forge.attemptFailed", _):
                answering = false
            default:
                break
            }
        }
    }
}
