import A4PS
import Foundation
import Hummingbird
import LivingImage
import Scrapbook

/// The Sidekick's Scrapbook over HTTP — the same as `a4ps memory`:
///
/// - `GET /memory/search?q=…&mode=hybrid|text|vector&limit=5&source=…&persona=…` → `{"hits": [...]}`
/// - `POST /memory {"text", "source", "persona"}` → `{"memory"}` (embedded with `[models] embedding`)
/// - `POST /memory/documents?name=notes.txt` body: the document's UTF-8 text → what was stored
///   (split into overlapping passages; sending the same text again adds nothing)
/// - `GET /memory/stats` → counts, sizes, the embedding model and the index
/// - `DELETE /memory/{id}` → forgets a memory (its text, vectors and index entry)
struct MemoryRoutes: Sendable {
    let scrapbook: Scrapbook
    let body: RequestBody

    func register(on router: Router<ImageRequestContext>) {
        router.get("/memory/search") { request, _ in
            await JSONResponse.respond {
                let q = request.uri.queryParameters
                guard let query = q.get("q"), !query.allSatisfy(\.isWhitespace) else {
                    throw APIError.badRequest("give the words to search for: ?q=…", code: "missingQuery")
                }
                let mode = try q.get("mode").map { text in
                    guard let mode = SearchMode(rawValue: text) else {
                        throw APIError.badRequest("mode is one of text, vector, hybrid (not \(text))", code: "invalidMode")
                    }
                    return mode
                } ?? .hybrid
                let sources = q.getAll("source").map { MemorySource(rawValue: String($0)) }
                let personas = q.getAll("persona").map { String($0) }
                let filter = MemoryFilter(sources: sources.isEmpty ? nil : Set(sources), personas: personas.isEmpty ? nil : Set(personas))
                let hits = try await scrapbook.search(query, mode: mode, filter: filter, limit: try limitParameter(request, default: 5))
                return ["hits": .array(hits.map { hit in
                    ["id": .integer(hit.memory.id.rawValue), "score": .number(hit.score), "text": .string(hit.memory.text),
                     "source": .string(hit.memory.source.rawValue), "persona": hit.memory.persona.map { .string($0) } ?? .null,
                     "created_at": .string(ISO8601DateFormatter().string(from: hit.memory.createdAt))]
                })]
            }
        }
        router.post("/memory") { request, _ in
            guard let text = try await body.text(of: request) else { return JSONResponse.tooLarge(body.maxBytes) }
            return await JSONResponse.respond(status: .created) {
                let fields = try RequestBody.object(text)
                let memory = try await scrapbook.add(try fields.requiredString("text"),
                                                     source: MemorySource(rawValue: try fields.optionalString("source") ?? "user_dialogue"),
                                                     persona: try fields.optionalString("persona"))
                return ["memory": ["id": .integer(memory.id.rawValue), "text": .string(memory.text), "source": .string(memory.source.rawValue),
                                   "persona": memory.persona.map { .string($0) } ?? .null]]
            }
        }
        router.post("/memory/documents") { request, _ in
            guard let text = try await body.text(of: request) else { return JSONResponse.tooLarge(body.maxBytes) }
            return await JSONResponse.respond(status: .created) {
                let name = request.uri.queryParameters.get("name") ?? "document"
                guard !name.allSatisfy(\.isWhitespace), name.count <= 255 else {
                    throw APIError.badRequest("?name= must be the document's name (1 to 255 characters)", code: "invalidName")
                }
                guard !text.utf8.contains(0) else {
                    throw APIError.badRequest("the document contains NUL bytes and looks binary: only plain UTF-8 text can be ingested",
                                              code: "unreadableDocument")
                }
                let report = try await scrapbook.ingest(document: text, title: name)
                return ["name": .string(name), "passages": .int(report.passageCount), "added": .int(report.added.count),
                        "already_stored": .int(report.alreadyStored)]
            }
        }
        router.delete("/memory/:id") { _, context in
            await JSONResponse.respond {
                let text = try context.parameters.require("id")
                guard let raw = Int64(text), try await !scrapbook.forget([MemoryID(rawValue: raw)]).isEmpty else {
                    throw APIError.notFound("there is no memory \(text) (GET /memory/search finds them, with their ids)", code: "noSuchMemory")
                }
                return ["forgotten": .integer(raw)]
            }
        }
        router.get("/memory/stats") { _, _ in
            await JSONResponse.respond {
                let stats = try await scrapbook.stats()
                return ["memories": .int(stats.memoryCount), "documents": .int(stats.documentCount),
                        "by_source": .object(Dictionary(uniqueKeysWithValues: stats.countsBySource.map { ($0.key.rawValue, JSONValue.int($0.value)) })),
                        "text_bytes": .int(stats.textBytes), "vector_bytes": .int(stats.vectorBytes),
                        "embedding_model": stats.embeddingModel.map { .string($0) } ?? .null,
                        "embedding_dimension": stats.embeddingDimension.map { .int($0) } ?? .null,
                        "configured_embedding_model": .string(stats.embedderModel), "needs_reembedding": .bool(stats.needsReembedding),
                        "index": ["kind": .string("\(stats.index.kind)"), "vectors": .int(stats.index.vectorCount),
                                  "partitions": .int(stats.index.partitionCount), "nprobe": .int(stats.index.nprobe)]]
            }
        }
    }
}
