import A4PS
import ArgumentParser
import Foundation
import LivingImage

/// `a4ps method ...`: install, show and remove methods.
struct MethodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "method",
        abstract: "Install or replace a method (compiled, installed on a clone, swapped in), show one with its history, remove one.",
        subcommands: [Define.self, Show.self, Remove.self]
    )

    struct Define: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Install or replace a method from a Lua file (or --source).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The proto.") var proto: String
        @Argument(help: "The selector.") var selector: String
        @Option(help: "A Lua file holding the method body (receives self and args).") var file: String?
        @Option(help: "The Lua source itself, instead of --file.") var source: String?
        @Option(help: "Why (kept in the change log).") var reason = ""

        func validate() throws {
            if (file == nil) == (source == nil) { throw ValidationError("give exactly one of --file FILE or --source TEXT") }
        }

        func run() async throws {
            let text: String
            if let file {
                guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
                guard let decoded = String(validating: data, as: UTF8.self) else { throw ValidationError("\(file) is not UTF-8 text") }
                text = decoded
            } else {
                text = source!
            }
            let image = try await options.open()
            defer { image.close() }
            if let record = try await image.defineMethod(selector, on: proto, source: text, author: .architect, reason: reason) {
                let version = image.memory.proto(named: proto)?.methods[selector]?.version ?? 0
                emitLine("installed \(proto)>>\(selector) v\(version) (change #\(record.id))")
                for session in try LiveDebugger.closeSessions(of: selector, on: proto, redefinedBy: record.id, in: image) {
                    emitLine("closed debug session \(session): the method it was opened for is redefined")
                }
            } else {
                emitLine("\(proto)>>\(selector) already has this source; nothing changed")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a method's source and its history.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The proto.") var proto: String
        @Argument(help: "The selector.") var selector: String

        func run() async throws {
            let image = try await options.open(writes: false)
            defer { image.close() }
            guard let p = image.memory.proto(named: proto) else { throw ImageError(.noSuchProto, "there is no proto named '\(proto)'") }
            guard let method = p.methods[selector] else {
                throw ImageError(.noSuchMethod, "'\(proto)' has no method '\(selector)' of its own (see `a4ps inspect \(proto)`)")
            }
            emitLine("-- \(proto)>>\(selector)  v\(method.version)")
            emitLine(method.source)
            emitLine("-- history:")
            for change in try image.history(proto: proto, subject: "method:\(selector)", limit: 1000) {
                emitLine("--   #\(change.id)  \(ISO8601DateFormatter().string(from: change.at))  \(change.kind) by \(change.author.rawValue)"
                    + (change.reason.isEmpty ? "" : " — \(change.reason)"))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a method (a logged change; roll back to restore it).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The proto.") var proto: String
        @Argument(help: "The selector.") var selector: String

        func run() async throws {
            let image = try await options.open()
            defer { image.close() }
            let record = try await image.removeMethod(selector, from: proto)
            emitLine("removed \(proto)>>\(selector) (change #\(record?.id ?? 0))")
        }
    }
}
