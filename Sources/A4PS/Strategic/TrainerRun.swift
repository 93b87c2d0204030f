import Foundation
import JSON
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One running trainer process: its protocol lines as typed ``events``, its end as ``result()``.
///
/// The trainer runs in a process group of its own with an empty signal mask (``SpawnedProcess``);
/// ``cancel()`` stops the whole group — the trainer and the converter it may have started — with
/// SIGTERM, then SIGKILL after the grace period. Its stdout and stderr are read by threads of their own, never on Swift's cooperative
/// pool. A trainer that writes anything but protocol lines on stdout is killed at once
/// (``TrainerError/Code/protocolViolation``); when the trainer ends, whatever is left of its group
/// is killed too, so no process outlives a run.
public final class TrainerRun: Sendable {
    /// Everything the trainer reports, in order; ends when the run has ended. One consumer.
    public let events: AsyncStream<TrainerEvent>
    /// The trainer's process id, which is also its process group's id.
    public let processIdentifier: Int32
    private let continuation: AsyncStream<TrainerEvent>.Continuation
    private let state = Mutex(State())
    private let gracePeriod: Duration

    /// A protocol line longer than this is a violation (a `done` line is well under 10 KB).
    static let maxProtocolLineBytes = 1 << 20
    /// How many lines of stderr are kept for the error message.
    static let standardErrorTailLines = 40

    private struct State {
        var standardOutputEnded = false
        var standardErrorEnded = false
        var termination: SpawnedProcess.Termination?
        var result: TrainerResult?
        var reportedError: (message: String, kind: String?)?
        var violation: String?
        var cancelled = false
        var standardErrorTail: [String] = []
        var outcome: Result<TrainerResult, TrainerError>?
        var waiters: [CheckedContinuation<Result<TrainerResult, TrainerError>, Never>] = []
    }

    private init(processIdentifier: Int32, gracePeriod: Duration) {
        (events, continuation) = AsyncStream.makeStream(of: TrainerEvent.self, bufferingPolicy: .bufferingNewest(10_000))
        self.processIdentifier = processIdentifier
        self.gracePeriod = gracePeriod
    }

    static func launch(command: TrainerCommand, specPath: String, gracePeriod: Duration) throws(TrainerError) -> TrainerRun {
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"
        for (key, value) in command.environment { environment[key] = value }
        let process: SpawnedProcess
        do {
            process = try SpawnedProcess.spawn(executable: command.executable, arguments: command.arguments + [specPath],
                                               environment: environment)
        } catch {
            guard case .failed(let reason) = error else { throw TrainerError(.launchFailed, "\(error)") }
            throw TrainerError(.launchFailed, "cannot start the trainer: \(reason)")
        }
        let run = TrainerRun(processIdentifier: process.pid, gracePeriod: gracePeriod)
        PipeLines.read(process.standardOutput, name: "a4ps.trainer.stdout", maxLineBytes: maxProtocolLineBytes,
                       line: { [run] text, truncated in run.protocolLine(text, truncated: truncated) },
                       ended: { [run] in run.streamEnded(standardOutput: true) })
        PipeLines.read(process.standardError, name: "a4ps.trainer.stderr", maxLineBytes: 8192,
                       line: { [run] text, _ in run.diagnosticLine(text) },
                       ended: { [run] in run.streamEnded(standardOutput: false) })
        process.whenEnded { [run] termination in run.terminated(termination) }
        return run
    }

    // MARK: Asking

    /// Waits for the trainer to end: its result, or why there is none. Cancelling the waiting task
    /// cancels the run.
    public func result() async throws(TrainerError) -> TrainerResult {
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { (waiter: CheckedContinuation<Result<TrainerResult, TrainerError>, Never>) in
                let ready = state.withLock { state in
                    if state.outcome == nil { state.waiters.append(waiter) }
                    return state.outcome
                }
                if let ready { waiter.resume(returning: ready) }
            }
        } onCancel: {
            cancel()
        }
        return try outcome.get()
    }

    /// Whether the trainer (and the reading of its output) has ended.
    public var hasEnded: Bool { state.withLock { $0.outcome != nil } }

    /// Stops the trainer's process group: SIGTERM, then SIGKILL when it is still there after the
    /// grace period. The run ends with ``TrainerError/Code/cancelled``. Does nothing once it ended.
    public func cancel() {
        let running = state.withLock { state in
            guard state.outcome == nil, state.termination == nil else { return false }
            state.cancelled = true
            return true
        }
        guard running else { return }
        signalGroup(SIGTERM)
        let grace = gracePeriod
        Task.detached { [self] in
            try? await Task.sleep(for: grace)
            if state.withLock({ $0.termination == nil }) { signalGroup(SIGKILL) }
        }
    }

    // MARK: Reading

    private func protocolLine(_ text: String, truncated: Bool) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return }
        let parsed = truncated ? nil : (try? JSONParser.parse(trimmed)).flatMap(TrainerEvent.parse(protocolLine:))
        guard let event = parsed else {
            let first = state.withLock { state -> Bool in
                guard state.violation == nil else { return false }
                state.violation = String(trimmed.prefix(200))
                return true
            }
            if first { signalGroup(SIGKILL) }
            return
        }
        state.withLock { state in
            switch event {
            case .finished(let result): state.result = result
            case .failed(let message, let kind): state.reportedError = (message, kind)
            default: break
            }
        }
        continuation.yield(event)
    }

    private func diagnosticLine(_ text: String) {
        state.withLock { state in
            state.standardErrorTail.append(text)
            if state.standardErrorTail.count > Self.standardErrorTailLines { state.standardErrorTail.removeFirst() }
        }
        continuation.yield(.log(text))
    }

    private func streamEnded(standardOutput: Bool) {
        state.withLock { state in
            if standardOutput { state.standardOutputEnded = true } else { state.standardErrorEnded = true }
        }
        finishIfDone()
    }

    private func terminated(_ termination: SpawnedProcess.Termination) {
        state.withLock { $0.termination = termination }
        // What the trainer started and left behind (a converter, a data loader) holds its pipes
        // open; it goes with the trainer.
        signalGroup(SIGKILL)
        finishIfDone()
    }

    private func finishIfDone() {
        let (outcome, waiters) = state.withLock { state -> (Result<TrainerResult, TrainerError>?, [CheckedContinuation<Result<TrainerResult, TrainerError>, Never>]) in
            guard state.outcome == nil, state.standardOutputEnded, state.standardErrorEnded, let termination = state.termination else {
                return (nil, [])
            }
            let outcome = Self.outcome(of: state, termination: termination)
            state.outcome = outcome
            defer { state.waiters = [] }
            return (outcome, state.waiters)
        }
        guard let outcome else { return }
        if case .failure(let error) = outcome, state.withLock({ $0.reportedError == nil }) {
            continuation.yield(.failed(message: error.message, kind: error.code.rawValue))
        }
        continuation.finish()
        for waiter in waiters { waiter.resume(returning: outcome) }
    }

    private static func outcome(of state: State, termination: SpawnedProcess.Termination) -> Result<TrainerResult, TrainerError> {
        let tail = state.standardErrorTail
        let status: Int32
        switch termination {
        case .exited(let code): status = code
        case .signaled(let signal): status = signal
        }
        if state.cancelled {
            return .failure(TrainerError(.cancelled, "the fine-tune was cancelled", exitStatus: status, standardErrorTail: tail))
        }
        if let violation = state.violation {
            return .failure(TrainerError(.protocolViolation,
                "the trainer wrote something that is not a JSON protocol line on its stdout, and was stopped: \"\(violation)\" "
                + "— a trainer writes only JSON lines there (Scripts/trainers/trainer_protocol.py) and its logs on stderr",
                exitStatus: status, standardErrorTail: tail))
        }
        if case .signaled = termination {
            return .failure(TrainerError(.killed, "the trainer was killed by signal \(status)"
                + (status == SIGKILL ? " (out of memory, or killed by hand)" : ""), exitStatus: status, standardErrorTail: tail))
        }
        if status == 0, state.reportedError == nil {
            guard let result = state.result else {
                return .failure(TrainerError(.noResult, "the trainer exited 0 without a `done` line: it reported no adapter",
                                             exitStatus: status, standardErrorTail: tail))
            }
            return .success(result)
        }
        let said = state.reportedError?.message
        if status == 2 || state.reportedError?.kind == "spec" {
            return .failure(TrainerError(.invalidSpec, "the trainer refused the job: \(said ?? "exit status 2")",
                                         exitStatus: status, standardErrorTail: tail))
        }
        if status == 127 {
            return .failure(TrainerError(.launchFailed, "the trainer could not be started (exit status 127: a command it runs is missing)",
                                         exitStatus: status, standardErrorTail: tail))
        }
        return .failure(TrainerError(.failed, "the trainer failed (exit status \(status)): \(said ?? "it gave no reason; see its output")",
                                     exitStatus: status, standardErrorTail: tail))
    }

    private func signalGroup(_ signal: Int32) {
        guard kill(-processIdentifier, signal) != 0 else { return }
        // The group is made at the spawn, so this is only a safety net; once the process has been
        // reaped its id may be another process's, so never then.
        if state.withLock({ $0.termination == nil }) { _ = kill(processIdentifier, signal) }
    }
}
