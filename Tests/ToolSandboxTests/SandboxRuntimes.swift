import ToolSandbox

/// The runtimes the parameterized tests run against: bubblewrap always, gVisor where runsc is
/// installed and a probe run works.
///
/// Where runsc is missing, or installed on a host that cannot start it (no user namespaces for
/// it, a platform it cannot use — runsc's own start error), ``SandboxRuntimeTests/gVisorRunsToolsWhereRunscIsInstalled()``
/// is skipped with the reason; where it starts but a tool does not answer, that test fails.
/// Either way the absent gVisor cases are visible, never silently passed.
enum SandboxRuntimes {
    static let gVisor = SandboxRuntime.gVisor()

    /// Whether runsc is on this machine at all.
    static var runscInstalled: Bool {
        do {
            try PythonSandbox(runtime: gVisor).checkAvailable()
            return true
        } catch {
            return false
        }
    }

    /// How a trivial tool fared under gVisor; run once per test process.
    enum Probe: Sendable {
        case works
        /// runsc is missing or this host cannot start it: an environment, not a bug of ours.
        case unavailable(String)
        /// runsc started but the tool did not answer, or the run failed otherwise.
        case broken(String)
    }

    static let gVisorProbe = Task<Probe, Never> {
        guard runscInstalled else { return .unavailable("runsc is not installed") }
        do {
            let run = try await PythonSandbox(runtime: gVisor)
                .run(PythonTool(name: "probe", source: "def run(args):\n    return 1\n"), arguments: nil)
            return run.answer == 1 ? .works : .broken("the probe tool did not answer: \(run.outcome), stderr: \(run.standardError)")
        } catch let error as SandboxError where error.code == .sandboxDidNotStart {
            return .unavailable("\(error)")
        } catch {
            return .broken("\(error)")
        }
    }

    /// Why the gVisor cases are skipped here, or nil when they run.
    static var gVisorUnavailable: String? {
        get async {
            if case .unavailable(let reason) = await gVisorProbe.value { return reason }
            return nil
        }
    }

    static var available: [SandboxRuntime] {
        get async {
            if case .works = await gVisorProbe.value { return [.bubblewrap, gVisor] }
            return [.bubblewrap]
        }
    }
}
