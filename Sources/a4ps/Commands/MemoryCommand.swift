import A4PS
import ArgumentParser
import Foundation
import LivingImage
import Scrapbook

/// `a4ps memory ...`: the Sidekick's Scrapbook — episodic memory kept in the image file.
struct MemoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Add, ingest, search and forget memories; show stats; rebuild the index.",
        subcommands: [Add.self, Ingest.self, Search.self, Stats.self, Forget.self, Reindex.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remember a text (embedded with [models] embedding).")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The text.") var text: String
        @Option(help: "user_dialogue, babs_report, self_reflection, document, or any name.") var source = "user_dialogue"
        @Option(help: "The persona it belongs to.") var persona: String?

        func run() async throws {
            let (text, source, persona) = (text, source, persona)
            if let claim = options.servingClaim {
                // A server holds the image: it remembers (with its embedding model, already loaded).
                let answer = try await ServedImage(image: options.imagePath, claim: claim).call(
                    .POST, "/memory", body: ["text": .string(text), "source": .string(source), "persona": persona.map { .string($0) } ?? .null])
                emitLine("remembered #\(answer["memory"]?["id"]?.intValue ?? 0) (\(source)) through the server at \(claim.url)")
                return
            }
            let memory = try await options.withRuntime { runtime in
                try await runtime.scrapbook.add(text, source: MemorySource(rawValue: source), persona: persona)
            }
            emitLine("remembered #\(memory.id) (\(memory.source.rawValue))")
        }
    }

    struct Ingest: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Split documents into overlapping passages and remember them.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "Text files (UTF-8).") var files: [String]

        func run() async throws {
            let files = files
            if let claim = options.servingClaim {
                let served = try ServedImage(image: options.imagePath, claim: claim)
                for file in files {
                    guard let data = FileManager.default.contents(atPath: file), let text = String(validating: data, as: UTF8.self) else {
                        throw ValidationError("cannot read \(file) as UTF-8 text")
                    }
                    let name = URL(fileURLWithPath: file).lastPathComponent
                    let report = try await served.call(.POST, "/memory/documents?name=\(name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "document")",
                                                       body: .string(text), raw: true)
                    emitLine("\(file): \(report["passages"]?.intValue ?? 0) passages, \(report["added"]?.intValue ?? 0) added, "
                        + "\(report["already_stored"]?.intValue ?? 0) already stored (through the server at \(claim.url))")
                }
                return
            }
            try await options.withRuntime { runtime in
                for file in files {
                    let report = try await runtime.scrapbook.ingest(fileAt: URL(fileURLWithPath: file))
                    emitLine("\(file): \(report.passageCount) passages, \(report.added.count) added, \(report.alreadyStored) already stored")
                }
            }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search memories: full text (BM25), vector (IVF), or both fused.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The query.") var query: String
        @Option(help: "text, vector or hybrid.") var mode: SearchMode = .hybrid
        @Option(help: "How many hits.") var limit = 5
        @Option(help: "Only this source (repeatable).") var source: [String] = []
        @Option(help: "Only this persona (repeatable).") var persona: [String] = []
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (query, mode, limit, json) = (query, mode, limit, json)
            let filter = MemoryFilter(sources: source.isEmpty ? nil : Set(source.map(MemorySource.init(rawValue:))),
                                      personas: persona.isEmpty ? nil : Set(persona))
            let hits = try await options.withRuntime(writes: false) { runtime in
                try await runtime.scrapbook.search(query, mode: mode, filter: filter, limit: limit)
            }
            if json {
                emitLine(JSONValue.array(hits.map { h in
                    ["id": .integer(h.memory.id.rawValue), "score": .number(h.score), "text": .string(h.memory.text),
                     "source": .string(h.memory.source.rawValue), "persona": h.memory.persona.map { .string($0) } ?? .null]
                }).prettyText)
                return
            }
            if hits.isEmpty { emitLine("no memories match") }
            for (rank, hit) in hits.enumerated() {
                emitLine("\(rank + 1). #\(hit.memory.id) [\(hit.memory.source.rawValue)\(hit.memory.persona.map { ", \($0)" } ?? "")] "
                    + String(format: "%.4f", hit.score) + "  " + hit.memory.text.prefix(200).replacingOccurrences(of: "\n", with: " "))
            }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Counts, sizes, index state and embedding model.")
        @OptionGroup var options: ImageOptions

        func run() async throws {
            let stats = try await options.withRuntime(writes: false) { runtime in try await runtime.scrapbook.stats() }
            emitLine("memories: \(stats.memoryCount)  (documents: \(stats.documentCount))")
            for (source, count) in stats.countsBySource.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                emitLine("  \(source.rawValue): \(count)")
            }
            emitLine("text: \(stats.textBytes) bytes   vectors: \(stats.vectorBytes) bytes")
            emitLine("embedding model: \(stats.embeddingModel ?? "(none yet)")\(stats.embeddingDimension.map { ", dimension \($0)" } ?? "")"
                + "   configured: \(stats.embedderModel)")
            if stats.needsReembedding { emitLine("the embedding model changed: run `a4ps memory reindex --reembed`") }
            let index = stats.index
            emitLine("index: \(index.kind) over \(index.vectorCount) vectors, \(index.partitionCount) partitions, nprobe \(index.nprobe), "
                + "partition sizes \(index.smallestPartition)…\(index.largestPartition)")
        }
    }

    struct Forget: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget memories by id (from `a4ps memory search`): text, vectors and index entry.")
        @OptionGroup var options: ImageOptions
        @Argument(help: "The memories' ids.") var ids: [Int64]

        func run() async throws {
            let ids = ids
            var forgotten: [Int64] = []
            if let claim = options.servingClaim {
                let served = try ServedImage(image: options.imagePath, claim: claim)
                for id in ids where (try? await served.call(.DELETE, "/memory/\(id)")) != nil { forgotten.append(id) }
            } else {
                forgotten = try await options.withRuntime { runtime in
                    try await runtime.scrapbook.forget(ids.map(MemoryID.init(rawValue:))).map(\.rawValue)
                }
            }
            for id in ids { emitLine(forgotten.contains(id) ? "forgot #\(id)" : "no memory #\(id)") }
            if forgotten.count < ids.count { throw ExitCode(1) }
        }
    }

    struct Reindex: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retrain the vector index (with --reembed: embed everything again with the configured model first).")
        @OptionGroup var options: ImageOptions
        @Flag(help: "Re-embed every memory with [models] embedding (after changing the embedding model).") var reembed = false

        func run() async throws {
            let reembed = reembed
            let index = try await options.withRuntime { runtime in
                if reembed {
                    let report = try await runtime.scrapbook.reembed()
                    emitLine("re-embedded \(report.reembedded) memories with \(report.model)")
                    return report.index
                }
                return try await runtime.scrapbook.reindex()
            }
            emitLine("index: \(index.kind) over \(index.vectorCount) vectors, \(index.partitionCount) partitions")
        }
    }
}

extension SearchMode: ExpressibleByArgument {}
