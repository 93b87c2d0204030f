import ArgumentParser
import Foundation
import LivingImage

/// `a4ps image ...`: create, inspect the change log of, roll back and export the image file.
struct ImageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image",
        abstract: "Create the image, list its change log, roll a proto back, export a copy.",
        subcommands: [Init.self, History.self, Rollback.self, Export.self]
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
        @Option(help: "How many of the latest changes to list.") var limit = 50
        @Flag(help: "Print JSON instead of text.") var json = false

        func run() async throws {
            let image = try await options.open()
            defer { image.close() }
            let changes = try image.history(proto: proto, subject: subject, limit: limit)
            let vetoes = try image.vetoes(proto: proto, subject: subject, limit: limit)
            // One history, by time: what changed and what the governor refused.
            let entries = (changes.map { (at: $0.at, json: $0.json, text: ChangeFormatting.text($0)) }
                + vetoes.map { (at: $0.at, json: $0.json, text: ChangeFormatting.text($0)) })
                .enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element).suffix(limit)
            if json {
                emitLine(JSONValue.array(entries.map(\.json)).prettyText)
            } else {
                for entry in entries { emitLine(entry.text) }
                if entries.isEmpty { emitLine("no changes") }
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
            let image = try await options.open()
            defer { image.close() }
            try image.export(to: file)
            emitLine("exported \(options.imagePath) to \(file)")
        }
    }
}
