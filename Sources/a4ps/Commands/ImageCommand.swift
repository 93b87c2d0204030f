import ArgumentParser
import Foundation
import LivingImage

/// `a4ps image ...`: create, inspect the change log of, roll back, compact, export and check the image file.
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Create the image, list its change log, roll a proto back, compact the log, export a copy, check the file.",
        subcommands: [Init.self, History.self, Rollback.self, Compact.self, Export.self, Check.self]
    )

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a new image from the genesis image shipped with a4ps.")
        @OptionGroup var options: ImageOptions

        func run() async throws {
            if FileManager.default.fileExists(atPath: options.imagePath) {
                throw ValidationError("\(options.imagePath) already exists; choose another --image or remove it first")
            }
            let image = try await options.open()
            defer { image.close() }
            let protos = image.memory.snapshot().keys.sorted()
            emitLine("created \(options.imagePath) with \(protos.count) protos: \(protos.joined(separator: ", "))")
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the change log: when, what, before/after, who and why — and the changes the governor vetoed.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "Only changes to this proto.") var proto: String?
        @Option(help: "Only changes touching this subject (method:NAME, slot:NAME, parent, codex).") var subject: String?
        @Option(help: "How many changes to list (one page).") var limit = 50
        @Option(help: "List the changes older than this change number (the next page back; the governor's refusals show on the newest page and in `a4ps governance vetoes`).") var before: Int64?
        @Option(help: "Page N back from the newest (1 is the newest), `--limit` changes a page.") var page: Int?
        @Flag(help: "Print JSON instead of text.") var json = false

        func validate() throws {
            guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
            if let page, page < 1 { throw ValidationError("--page must be at least 1") }
            if before != nil && page != nil { throw ValidationError("give --before or --page, not both") }
        }

        func run() async throws {
            let image = try await options.open(writes: false)
            defer { image.close() }
            var changes = try image.history(proto: proto, subject: subject, limit: limit, before: before)
            // Page N: walk back page by page (each page one indexed read), N - 1 times.
            for _ in 1..<(page ?? 1) {
                guard let oldest = changes.first?.id else { break }
                changes = try image.history(proto: proto, subject: subject, limit: limit, before: oldest)
            }
            // The newest page is one history, by time: what changed and what the governor refused
            // (older refusals: `a4ps governance vetoes`); older pages page the change log.
            let paging = before != nil || (page ?? 1) > 1
            let vetoes = paging ? [] : try image.vetoes(proto: proto, subject: subject, limit: limit)
            let entries = (changes.map { (at: $0.at, json: $0.json, text: ChangeFormatting.text($0), change: Optional($0.id)) }
                + vetoes.map { (at: $0.at, json: $0.json, text: ChangeFormatting.text($0), change: Int64?.none) })
                .enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element).suffix(limit)
            if json {
                emitLine(JSONValue.array(entries.map(\.json)).prettyText)
            } else {
                for entry in entries { emitLine(entry.text) }
                if entries.isEmpty { emitLine("no changes") }
                if changes.count == limit, let oldest = entries.compactMap(\.change).min() {
                    emitLine("older changes: a4ps image history --before \(oldest)")
                }
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Restore a proto as it was right after change N (a new, logged change).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The proto to restore.") var proto: String
        @Option(name: .customLong("to"), help: "The change number (see `a4ps image history`).") var change: Int64
        @Option(help: "Why (kept in the change log).") var reason = ""

        func run() async throws {
            let image = try await options.open()
            defer { image.close() }
            let record = try await image.rollback(proto, toChange: change, reason: reason)
            emitLine(ChangeFormatting.text(record))
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a consistent single-file copy of the image (safe while it is in use).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The file to write (must not exist).") var file: String

        func run() async throws {
            let image = try await options.open(writes: false)
            defer { image.close() }
            try image.export(to: file)
            emitLine("exported \(options.imagePath) to \(file)")
        }
    }

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the image file in full (SQLite integrity_check, format, unclean sessions); changes nothing.",
            discussion: "Opening an image runs this kind of check only after an unclean shutdown; run it after a disk or power problem, or before a backup. Exits 1 when the file is damaged.")
        @OptionGroup var options: ImageOptions
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let report = try Image.check(at: options.imagePath)
            if json {
                emitLine(JSONValue.object([
                    "path": .string(report.path), "sound": .bool(report.isSound),
                    "problems": .array(report.problems.map { .string($0) }),
                    "open_sessions": .integer(Int64(report.openSessions)),
                    "unclean_sessions": .integer(Int64(report.uncleanSessions)),
                    "file_bytes": .integer(Int64(report.fileBytes)), "seconds": .number(report.seconds),
                ]).prettyText)
            } else if report.isSound {
                emitLine("ok: \(report.path) is a sound image (\(report.fileBytes) bytes checked in \(String(format: "%.2f", report.seconds)) s; "
                    + "\(report.openSessions) open session(s), \(report.uncleanSessions) not closed cleanly)")
            } else {
                emitLine("damaged: \(report.path)")
                for problem in report.problems { emitLine("  \(problem)") }
                emitLine("restore it from an export (`a4ps image export`) or a backup")
            }
            if !report.isSound { throw ExitCode(1) }
        }
    }
}
