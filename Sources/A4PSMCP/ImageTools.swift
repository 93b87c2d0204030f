import A4PS
import Foundation
import LivingImage
import Logging
import MCP
import Scrapbook

/// The tools the MCP server offers over an open runtime: `ask` (a real deliberation, ALFRED
/// answers), `send` (a message to a proto), `memory_search` (the scrapbook), `inspect` (a
/// proto's self-description), and `resume` and `fork` for runs (``runDefinitions``). Every failure comes back as a tool result with `isError` set and a
/// message that names the fix.
struct ImageTools: Sendable {
    let runtime: Runtime
    let logger: Logger

    /// What `tools/list` answers: each tool with its JSON Schema.
    static var all: [Tool] { definitions + runDefinitions }

    static let definitions: [Tool] = [
        Tool(
            name: "ask",
            title: "Ask the personas",
            description: "Give A4PS a task: BABS researches, BRICK and ROBIN deliberate, ALFRED answers. "
                + "Runs a real deliberation on the local models (it can take minutes); answers ALFRED's answer.",
            inputSchema: [
                "type": "object",
                "properties": [
                    "task": ["type": "string", "description": "The task, in plain words."],
                    "max_turns": ["type": "integer", "minimum": 1, "maximum": 20, "default": 5,
                                  "description": "Most BRICK/ROBIN turns."],
                ],
                "required": ["task"],
                "additionalProperties": false,
            ],
            annotations: .init(title: "Ask the personas", readOnlyHint: false, destructiveHint: false, idempotentHint: false,
                               openWorldHint: false)
        ),
        Tool(
            name: "send",
            title: "Send a message",
            description: "Send a message to a proto of the living image and answer its answer (JSON), as the Architect. "
                + "Unknown selectors go to doesNotUnderstand.",
            inputSchema: [
                "type": "object",
                "properties": [
                    "proto": ["type": "string", "description": "The receiver, e.g. BRICK."],
                    "selector": ["type": "string", "description": "The message, e.g. describe."],
                    "args": ["description": "The message's argument: any JSON value, e.g. {\"n\": 3}. Absent: null."],
                ],
                "required": ["proto", "selector"],
                "additionalProperties": false,
            ],
            annotations: .init(title: "Send a message", readOnlyHint: false, destructiveHint: false, idempotentHint: false,
                               openWorldHint: false)
        ),
        Tool(
            name: "memory_search",
            title: "Search memory",
            description: "Search the scrapbook (episodic memory): full text (BM25), by meaning (vectors) or both fused.",
            inputSchema: [
                "type": "object",
                "properties": [
                    "query": ["type": "string", "description": "What to look for."],
                    "mode": ["type": "string", "enum": .array(SearchMode.allCases.map { .string($0.rawValue) }), "default": "hybrid"],
                    "limit": ["type": "integer", "minimum": 1, "maximum": 100, "default": 5, "description": "How many hits."],
                ],
                "required": ["query"],
                "additionalProperties": false,
            ],
            annotations: .init(title: "Search memory", readOnlyHint: true, destructiveHint: false, idempotentHint: true,
                               openWorldHint: false)
        ),
        Tool(
            name: "inspect",
            title: "Inspect a proto",
            description: "A proto's self-description (slots, methods with doc strings, parent chain, codex, version) as JSON; "
                + "without 'proto', the list of protos.",
            inputSchema: [
                "type": "object",
                "properties": [
                    "proto": ["type": "string", "description": "The proto, e.g. BRICK."],
                ],
                "additionalProperties": false,
            ],
            annotations: .init(title: "Inspect a proto", readOnlyHint: true, destructiveHint: false, idempotentHint: true,
                               openWorldHint: false)
        ),
    ]

    /// Runs one tool call; never throws: a failure is a result with `isError` set.
    func call(_ name: String, _ arguments: [String: MCP.Value]?) async -> CallTool.Result {
        do {
            switch name {
            case "ask": return try await ask(ToolArguments(tool: name, values: arguments, allowed: ["task", "max_turns"]))
            case "send": return try await send(ToolArguments(tool: name, values: arguments, allowed: ["proto", "selector", "args"]))
            case "memory_search":
                return try await memorySearch(ToolArguments(tool: name, values: arguments, allowed: ["query", "mode", "limit"]))
            case "inspect": return try inspect(ToolArguments(tool: name, values: arguments, allowed: ["proto"]))
            case "resume": return try await resume(ToolArguments(tool: name, values: arguments, allowed: ["run", "input"]))
            case "fork": return try await fork(ToolArguments(tool: name, values: arguments, allowed: ["run", "step", "state"]))
            default:
                throw MCPToolError(.unknownTool, "there is no tool named '\(name)'; the tools are "
                    + Self.all.map(\.name).joined(separator: ", "))
            }
        } catch {
            let message = (error as? MCPToolError)?.description ?? "\(name) failed: \(error)"
            logger.info("mcp: \(name) failed: \(message)")
            return CallTool.Result(content: [.text(text: message, annotations: nil, _meta: nil)], isError: true)
        }
    }

    // MARK: The tools

    private func ask(_ arguments: ToolArguments) async throws(MCPToolError) -> CallTool.Result {
        let task = try arguments.requiredString("task", hint: "the task, in plain words")
        let maxTurns = try arguments.integer("max_turns", in: 1...20, default: 5)
        let state = runtime.deliberationState(task: task, maxTurns: maxTurns)
        let runtime = runtime
        let run = try await mapping(.runFailed, "the deliberation could not run") {
            try await runtime.serving("ask (mcp)") {
                try await runtime.runner.start(graph: CodexAmendments.deliberation, state: state)
            }
        }
        return try await summary(of: run)
    }

    private func send(_ arguments: ToolArguments) async throws(MCPToolError) -> CallTool.Result {
        let proto = try arguments.requiredString("proto", hint: "the receiver's name, e.g. BRICK")
        let selector = try arguments.requiredString("selector", hint: "the message, e.g. describe")
        let message = arguments.json("args")
        let runtime = runtime
        let answer = try await mapping(.imageError, "\(proto) \(selector) failed") {
            try await runtime.serving("send \(proto) \(selector)") {
                try await runtime.image.send(proto, selector, message, author: .architect)
            }
        }
        return result(answer.prettyText, structured: ["answer": answer])
    }

    private func memorySearch(_ arguments: ToolArguments) async throws(MCPToolError) -> CallTool.Result {
        let query = try arguments.requiredString("query", hint: "what to look for")
        let mode: SearchMode = try arguments.choice("mode", default: .hybrid)
        let limit = try arguments.integer("limit", in: 1...100, default: 5)
        let scrapbook = runtime.scrapbook
        let hits = try await mapping(.memoryError, "the memory search failed") {
            try await scrapbook.search(query, mode: mode, limit: limit)
        }
        let listed = JSONValue.array(hits.map { hit in
            ["id": .integer(hit.memory.id.rawValue), "score": .number(hit.score), "text": .string(hit.memory.text),
             "source": .string(hit.memory.source.rawValue), "persona": hit.memory.persona.map { .string($0) } ?? .null]
        })
        return result(hits.isEmpty ? "no memories match" : listed.prettyText, structured: ["hits": listed])
    }

    private func inspect(_ arguments: ToolArguments) throws(MCPToolError) -> CallTool.Result {
        guard let proto = try arguments.optionalString("proto", hint: "a proto's name, e.g. BRICK") else {
            let protos = runtime.image.memory.snapshot().values.sorted { $0.name < $1.name }
            let listed = JSONValue.array(protos.map { p in
                ["name": .string(p.name), "version": .integer(p.version), "parent": p.parent.map { .string($0) } ?? .null,
                 "methods": .int(p.methods.count), "slots": .int(p.slots.count)]
            })
            return result(listed.prettyText, structured: ["protos": listed])
        }
        do {
            let description = try runtime.image.describe(proto)
            return result(description.prettyText, structured: description)
        } catch {
            throw translate(error, code: .imageError, context: "inspect \(proto) failed")
        }
    }

    // MARK: Helpers

    func result(_ text: String, structured: JSONValue) -> CallTool.Result {
        let content: MCP.Value? = structured.mcpValue
        return CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: content, isError: false)
    }

    /// Runs `body`, turning whatever it throws into an ``MCPToolError`` (`code` unless the error says better).
    func mapping<T>(_ code: MCPToolError.Code, _ context: String,
                            _ body: () async throws -> T) async throws(MCPToolError) -> T {
        do {
            return try await body()
        } catch {
            throw translate(error, code: code, context: context)
        }
    }

    private func translate(_ error: any Error, code: MCPToolError.Code, context: String) -> MCPToolError {
        switch error {
        case let error as MCPToolError:
            return error
        case let error as ImageError where error.code == .noSuchProto:
            let names = runtime.image.memory.snapshot().keys.sorted().joined(separator: ", ")
            let what = error.description.replacingOccurrences(of: " (list them with `a4ps inspect`)", with: "")
            return MCPToolError(.unknownProto, "\(what); "
                + "the image's protos are \(names) (call inspect without 'proto', or list the resources a4ps://protos/…)")
        case let error as ImageError:
            return MCPToolError(.imageError, "\(context): \(error.description)" + (error.traceback.map { "\n\($0)" } ?? ""))
        case let error as ScrapbookError:
            return MCPToolError(.memoryError, "\(context): \(error.description)")
        default:
            return MCPToolError(code, "\(context): \(error)")
        }
    }
}
