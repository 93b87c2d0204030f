import A4PS
import ArgumentParser
import Foundation
import LivingImage

/// `a4ps debug ...`: methods that raised, and their repair by the live debugger (or by you).
struct DebugCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug",
        abstract: "Debug sessions of methods that raised: list, show, fix (the DEBUGGER persona), retry, close with your own fix.",
        subcommands: [List.self, Show.self, Fix.self, Retry.self, Close.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The latest debug sessions.")
        @OptionGroup var options: ImageOptions

        func run() async throws {
            let sessions = try await options.withRuntime(writes: false) { try $0.debugger.sessions() }
            if sessions.isEmpty { emitLine("no debug sessions") }
            for s in sessions {
                emitLine("#\(s.id)  \(s.status.rawValue)  \(s.owner)>>\(s.selector) (sent to \(s.proto))  \(s.error.prefix(100))")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A session: the message, its arguments, the error, the traceback, the source.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The session.") var id: Int64

        func run() async throws {
            let id = id
            let session = try await options.withRuntime(writes: false) { try $0.debugger.session(id) }
            emitLine(session.json.prettyText)
        }
    }

    struct Fix: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ask the DEBUGGER persona for a fix; verified on a clone, then swapped in.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The session.") var id: Int64

        func run() async throws {
            let id = id
            let result = try await options.withRuntime { try await $0.debugger.fix(id) }
            for attempt in result.attempts {
                emitLine("attempt \(attempt.number): " + (attempt.errors.isEmpty ? "passed" : "rejected"))
                for error in attempt.errors { emitLine("    " + error.replacingOccurrences(of: "\n", with: "\n    ")) }
            }
            guard let change = result.change else {
                emitLine("no fix found; the session stays open (close it with your own: a4ps debug close \(id) --file FIX.lua)")
                throw ExitCode(1)
            }
            emitLine("fixed \(result.proto)>>\(result.selector) (change #\(change.id)); send it again with: a4ps debug retry \(id)")
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send the session's failing message again.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The session.") var id: Int64

        func run() async throws {
            let id = id
            let answer = try await options.withRuntime { try await $0.debugger.retry(id) }
            emitLine(answer.prettyText)
        }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a session, optionally installing your own fix first.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The session.") var id: Int64
        @Option(help: "A Lua file with the fixed method.") var file: String?

        func run() async throws {
            let source = try file.map { path -> String in
                guard let data = FileManager.default.contents(atPath: path), let text = String(validating: data, as: UTF8.self) else {
                    throw ValidationError("cannot read \(path) as UTF-8 text")
                }
                return text
            }
            let id = id
            let change = try await options.withRuntime { try await $0.debugger.close(id, source: source) }
            emitLine("closed debug session #\(id)" + (change.map { " with change #\($0.id)" } ?? ""))
        }
    }
}
