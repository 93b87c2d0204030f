import A4PS
import LivingImage
import MCP

/// The tools that continue deliberations: `resume` (a paused run with the Architect's input, or
/// a stopped one) and `fork` (a new run from a checkpoint, with an edited state). Both drive the
/// run until it finishes or pauses, as `ask` does.
extension ImageTools {
    static let runDefinitions: [Tool] = [
        Tool(
            name: "resume",
            title: "Resume a run",
            description: "Continue a deliberation from its last checkpoint: a paused run with the Architect's 'input' "
                + "(what it asked is in a4ps://runs/{id}), or a run that stopped or failed. Answers ALFRED's answer, or what the run waits for.",
            inputSchema: [
                "type": "object",
                "properties": [
                    "run": ["type": "string", "description": "The run's id (a4ps://runs/{id})."],
                    "input": ["description": "The Architect's answer to a paused run's question: any JSON value."],
                ],
                "required": ["run"],
                "additionalProperties": false,
            ],
            annotations: .init(title: "Resume a run", readOnlyHint: false, destructiveHint: false, idempotentHint: false,
                               openWorldHint: false)
        ),
        Tool(
            name: "fork",
            title: "Fork a run",
            description: "Start a new deliberation from checkpoint 'step' of a run (a4ps://runs/{id} lists them), "
                + "optionally with an edited 'state' (an object that replaces the checkpoint's state); the original run is left as it is.",
            inputSchema: [
                "type": "object",
                "properties": [
                    "run": ["type": "string", "description": "The run to fork."],
                    "step": ["type": "integer", "minimum": 0, "description": "The checkpoint to fork from."],
                    "state": ["type": "object", "description": "The state to go on from instead of the checkpoint's."],
                ],
                "required": ["run", "step"],
                "additionalProperties": false,
            ],
            annotations: .init(title: "Fork a run", readOnlyHint: false, destructiveHint: false, idempotentHint: false,
                               openWorldHint: false)
        ),
    ]

    func resume(_ arguments: ToolArguments) async throws(MCPToolError) -> CallTool.Result {
        let id = try arguments.requiredString("run", hint: "a run's id (a4ps://runs/{id})")
        let input = arguments.json("input")
        let runtime = runtime
        guard let run = try await mapping(.runFailed, "run \(id) could not be read", { try await runtime.runner.run(id) }) else {
            throw MCPToolError(.runFailed, "there is no run \(id); the resources a4ps://runs/… list the recent ones")
        }
        guard run.status != .done else {
            throw MCPToolError(.runFailed, "run \(id) is done; fork it from a checkpoint to go another way")
        }
        if run.status == .paused, input == .null {
            throw MCPToolError(.badArguments, "resume: run \(id) is waiting for the Architect: give 'input' (it asked: \(run.interrupt?.jsonText ?? "null"))")
        }
        let resumed = try await mapping(.runFailed, "run \(id) could not be resumed") {
            try await runtime.serving("resume \(id) (mcp)") {
                try await runtime.runner.resume(id, input: run.status == .paused ? input : nil)
            }
        }
        return try await summary(of: resumed)
    }

    func fork(_ arguments: ToolArguments) async throws(MCPToolError) -> CallTool.Result {
        let id = try arguments.requiredString("run", hint: "the run to fork")
        guard arguments.json("step") != .null else {
            throw MCPToolError(.badArguments, "fork needs 'step': the checkpoint to fork from (a4ps://runs/\(id) lists them)")
        }
        let step = try arguments.integer("step", in: 0...Int(Int32.max), default: 0)
        let state = arguments.json("state")
        guard state == .null || state.objectValue != nil else {
            throw MCPToolError(.badArguments, "fork: 'state' must be an object (the checkpoint's state, edited), not \(state.jsonText.prefix(80))")
        }
        let runtime = runtime
        let forked = try await mapping(.runFailed, "run \(id) could not be forked at \(step)") {
            try await runtime.serving("fork \(id)@\(step) (mcp)") {
                try await runtime.runner.fork(id, fromStep: step, state: state == .null ? nil : state)
            }
        }
        return try await summary(of: forked)
    }

    /// A driven run as a tool result: ALFRED's answer, what a paused run waits for, or why it failed.
    func summary(of run: RunRecord) async throws(MCPToolError) -> CallTool.Result {
        let runtime = runtime
        let final = try await mapping(.runFailed, "run \(run.id) could not be read") {
            try await runtime.runner.history(run.id).last?.state ?? .null
        }
        let structured: JSONValue = ["run": .string(run.id), "status": .string(run.status.rawValue),
                                     "answer": final["answer"] ?? .null, "dissonance": final["dissonance"] ?? .null,
                                     "interrupt": run.interrupt ?? .null, "forked_from": run.forkedFrom.map { .string($0) } ?? .null]
        switch run.status {
        case .failed:
            throw MCPToolError(.runFailed, "the deliberation \(run.id) failed: \(run.error ?? "no reason recorded"); "
                + "read it at a4ps://runs/\(run.id) and call resume with run \(run.id) to retry it")
        case .paused:
            return result("the deliberation \(run.id) waits for the Architect: \(run.interrupt?.jsonText ?? "null"); "
                + "answer with the resume tool (run \(run.id), input)", structured: structured)
        case .running, .done:
            guard let answer = final["answer"]?.stringValue, !answer.isEmpty else {
                if run.status == .running {
                    return result("the deliberation \(run.id) stopped at a checkpoint before its end; call resume with run \(run.id)",
                                  structured: structured)
                }
                throw MCPToolError(.runFailed, "the deliberation \(run.id) ended without an answer; read it at a4ps://runs/\(run.id)")
            }
            return result(answer, structured: structured)
        }
    }
}
