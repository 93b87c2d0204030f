import Subprocess
import SystemPackage

/// Runs one sandbox invocation to its end: stdin from the staged request, stdout and stderr
/// collected up to the output limit, and the whole sandbox killed at the wall-time limit.
struct SandboxProcess {
    /// What came back from the process, before any interpretation.
    struct Outcome: Sendable {
        var standardOutput: [UInt8]
        var standardError: [UInt8]
        var exitStatus: SandboxExitStatus
        var timedOut: Bool
        var outputTooLarge: Bool
        var duration: Duration
    }

    private enum Event: Sendable {
        case output([UInt8], overflowed: Bool)
        case error([UInt8], overflowed: Bool)
        case watchdog(fired: Bool)
    }

    var invocation: SandboxInvocation
    var limits: SandboxLimits

    func run(standardInputFile: String) async throws(SandboxError) -> Outcome {
        let input: FileDescriptor
        do {
            input = try FileDescriptor.open(FilePath(standardInputFile), .readOnly)
        } catch {
            throw .stagingFailed("opening \(standardInputFile): \(error)")
        }
        // The unprivileged host uid is taken by `setpriv` (util-linux), which then execs the runtime:
        // setting it through the spawn (fork, then setuid in the child of a multithreaded process)
        // can deadlock in glibc before exec; this way the spawn stays a plain posix_spawn.
        var executable = invocation.executable
        var arguments = invocation.arguments
        if let uid = invocation.hostUserID {
            arguments = ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "--", executable] + arguments
            executable = HostPaths.setpriv
        }
        var variables: [Environment.Key: String] = [:]
        for (name, value) in SandboxInvocation.environment {
            if let key = Environment.Key(rawValue: name) { variables[key] = value }
        }
        let environment: Environment = .custom(variables)
        let limits = self.limits
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let result = try await Subprocess.run(
                .path(FilePath(executable)),
                arguments: Arguments(arguments),
                environment: environment,
                workingDirectory: "/",
                input: .fileDescriptor(input, closeAfterSpawningProcess: true),
                output: .sequence,
                error: .sequence
            ) { execution in
                let budget = Budget(limit: limits.outputBytes)
                return await withTaskGroup(of: Event.self) { group in
                    group.addTask {
                        let (bytes, overflowed) = await Self.collect(execution.standardOutput, budget: budget) {
                            try? execution.send(signal: .kill)
                        }
                        return .output(bytes, overflowed: overflowed)
                    }
                    group.addTask {
                        let (bytes, overflowed) = await Self.collect(execution.standardError, budget: budget) {
                            try? execution.send(signal: .kill)
                        }
                        return .error(bytes, overflowed: overflowed)
                    }
                    group.addTask {
                        do {
                            try await Task.sleep(for: limits.wallTime)
                        } catch {
                            return .watchdog(fired: false)
                        }
                        // Killing the runtime's outer process takes the whole sandbox with it:
                        // bubblewrap's init dies (--die-with-parent) and the PID namespace goes;
                        // runsc's gofer and Sentry die with the runsc that started them.
                        try? execution.send(signal: .kill)
                        return .watchdog(fired: true)
                    }
                    var outcome = Outcome(
                        standardOutput: [], standardError: [], exitStatus: .exited(0),
                        timedOut: false, outputTooLarge: false, duration: .zero
                    )
                    var streamsOpen = 2
                    for await event in group {
                        switch event {
                        case .output(let bytes, let overflowed):
                            outcome.standardOutput = bytes
                            outcome.outputTooLarge = outcome.outputTooLarge || overflowed
                            streamsOpen -= 1
                        case .error(let bytes, let overflowed):
                            outcome.standardError = bytes
                            outcome.outputTooLarge = outcome.outputTooLarge || overflowed
                            streamsOpen -= 1
                        case .watchdog(let fired):
                            outcome.timedOut = fired
                        }
                        if streamsOpen == 0 { group.cancelAll() }
                    }
                    return outcome
                }
            }
            var outcome = result.closureResult
            outcome.duration = clock.now - start
            switch result.terminationStatus {
            case .exited(let code): outcome.exitStatus = .exited(code)
            case .signaled(let signal): outcome.exitStatus = .signaled(signal)
            }
            return outcome
        } catch let error as SandboxError {
            throw error
        } catch {
            throw .launchFailed("\(invocation.executable): \(error)")
        }
    }

    /// Reads a stream to its end, keeping bytes while the shared budget lasts.
    private static func collect(
        _ stream: SubprocessOutputSequence,
        budget: Budget,
        onOverflow: () -> Void
    ) async -> ([UInt8], Bool) {
        var bytes: [UInt8] = []
        var overflowed = false
        do {
            for try await buffer in stream {
                if overflowed { continue }
                if budget.take(buffer.count) {
                    buffer.withUnsafeBytes { bytes.append(contentsOf: $0) }
                } else {
                    overflowed = true
                    onOverflow()
                }
            }
        } catch {
            // A stream that breaks ends the collection; the process status tells the rest.
        }
        return (bytes, overflowed)
    }
}
