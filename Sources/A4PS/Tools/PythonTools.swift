import Inference
import LivingImage
import ToolSandbox

/// A proto's Python tools: kept in its slot `python_tools` as `{name: {source, tests}}`, each
/// answered by a Lua method of the same name that calls `python(name, args)`, which runs the
/// tool's `run(args)` as python3 in the OS sandbox of config.toml's `[sandbox]`.
///
/// A tool that raises, loops or passes a limit is a Lua error in the calling method (with the
/// Python traceback); a missing sandbox is an error that says what to install — a tool never runs
/// unsandboxed.
enum PythonTools {
    static let slot = "python_tools"

    /// The Lua method that answers a message with the Python tool of the same name.
    static func bridgeMethod(proto: String, selector: String) -> String {
        """
        -- \(proto)>>\(selector): the Python tool `\(selector)` (slot \(slot)), run as python3 in the OS sandbox
        return python("\(selector)", args)
        """
    }

    /// The tool called `name` as `proto` (and its parents) hold it; in a trial, its clone stands in
    /// for its original along the chain, so a verification runs the candidate tool.
    static func tool(named name: String, for proto: Proto, in image: Image, trialClone: Proto? = nil) throws -> PythonTool {
        var entry: JSONValue?
        var current: Proto? = proto
        var hops = 0
        while let here = current, entry == nil, hops < 32 {
            entry = here.slots[slot]?[name]
            current = here.parent.flatMap { parent in parent == trialClone?.name ? trialClone : image.memory.proto(named: parent) }
            hops += 1
        }
        guard let entry, let source = entry["source"]?.stringValue else {
            throw PrimitiveError("\(proto.name) has no Python tool '\(name)' (its slot \(slot) holds none by that name)")
        }
        return PythonTool(name: name, source: source, tests: entry["tests"]?.stringValue)
    }

    /// `python(name, args)`: runs the receiver's tool `name` in the sandbox and answers its result.
    static func primitive(sandbox: PythonSandbox, image: LateBound<Image>) -> HostPrimitive {
        HostPrimitive(name: "python") { arguments, context in
            guard let name = arguments.first?.stringValue else { throw PrimitiveError("python(name, args) needs the tool's name") }
            // Python runs in the OS sandbox, which keeps nothing: a trial may run it, on the clone's tools.
            let tool = try tool(named: name, for: context.proto, in: image.get(), trialClone: context.trialClone)
            let run = try await sandbox.run(tool, arguments: arguments.count > 1 ? arguments[1] : .null)
            switch run.outcome {
            case .answered(let answer):
                return answer
            case .raised(let failure):
                throw PrimitiveError("the Python tool \(name) raised \(failure)\n\(failure.traceback)")
            case .stopped(let limit):
                throw PrimitiveError("the Python tool \(name) was stopped at the sandbox's \(limit) limit ([sandbox] in config.toml)")
            case .crashed:
                throw PrimitiveError("the Python tool \(name) ended without an answer (\(run.exitStatus))"
                    + (run.standardError.isEmpty ? "" : ": " + run.standardError))
            }
        }
    }
}

extension PythonSandbox {
    /// The sandbox config.toml's `[sandbox]` describes.
    public init(settings: SandboxSettings) {
        let runtime: SandboxRuntime = switch settings.runtime {
        case .bubblewrap: .bubblewrap(executable: settings.executable)
        case .gvisor: .gVisor(executable: settings.executable)
        }
        self.init(runtime: runtime,
                  limits: SandboxLimits(wallTime: .milliseconds(Int(settings.wallTimeSeconds * 1000)), cpuSeconds: settings.cpuSeconds,
                                        memoryBytes: settings.memoryMB << 20, processes: settings.processes, tempBytes: settings.tempMB << 20),
                  python: settings.python)
    }
}
