import Foundation
import LivingImage
import Scrapbook

/// `memory.search(query, opts)` and `memory.add(text, opts)` for Lua methods: the scrapbook.
///
/// `opts` of search: `mode` (`text` | `vector` | `hybrid`, default hybrid), `limit` (default 5),
/// `sources`, `personas` (lists). `opts` of add: `source` (default `self_reflection`), `run`
/// (default: the deliberation run the node belongs to).
/// Hits come back as `{id, text, source, persona, run, at, score}`. In a trial, `memory.add` stores
/// nothing and answers 0.
enum MemoryPrimitives {
    static func all(scrapbook: LateBound<Scrapbook>) -> [HostPrimitive] {
        [
            HostPrimitive(name: "memory.search", repeatable: true) { arguments, _ in
                guard let query = arguments.first?.stringValue else { throw PrimitiveError("memory.search(query, opts) needs a query string") }
                let options = arguments.count > 1 ? arguments[1] : .null
                let mode = SearchMode(rawValue: options["mode"]?.stringValue ?? "hybrid") ?? .hybrid
                let filter = MemoryFilter(
                    sources: options["sources"]?.arrayValue.map { Set($0.compactMap(\.stringValue).map(MemorySource.init(rawValue:))) },
                    personas: options["personas"]?.arrayValue.map { Set($0.compactMap(\.stringValue)) })
                let limit = max(1, min(100, options["limit"]?.intValue ?? 5))
                let hits = try await scrapbook.get().search(query, mode: mode, filter: filter, limit: limit)
                return .array(hits.map { hit in
                    [
                        "id": .integer(hit.memory.id.rawValue), "text": .string(hit.memory.text), "source": .string(hit.memory.source.rawValue),
                        "persona": hit.memory.persona.map { .string($0) } ?? .null, "run": hit.memory.runID.map { .string($0) } ?? .null,
                        "at": .string(ISO8601DateFormatter().string(from: hit.memory.createdAt)), "score": .number(hit.score),
                    ]
                })
            },
            HostPrimitive(name: "memory.add") { arguments, context in
                guard let text = arguments.first?.stringValue else { throw PrimitiveError("memory.add(text, opts) needs a text string") }
                // A trial (the forge or the debugger verifying on a clone) keeps nothing: the memory is
                // discarded, and its id is 0, which no stored memory has.
                if context.isTrial { return .integer(0) }
                let options = arguments.count > 1 ? arguments[1] : .null
                // Inside a deliberation node, a memory has an origin, so the node run again after a
                // crash answers the memory it already added instead of adding it twice.
                let run = RunContext.current
                let memory = try await scrapbook.get().add(NewMemory(
                    text: text, source: MemorySource(rawValue: options["source"]?.stringValue ?? "self_reflection"),
                    persona: context.receiver, runID: options["run"]?.stringValue ?? run?.run, origin: run?.nextMemoryOrigin()))
                return .integer(memory.id.rawValue)
            },
        ]
    }
}
