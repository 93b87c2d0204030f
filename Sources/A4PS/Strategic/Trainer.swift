import Foundation

/// Runs fine-tunes with an external trainer command (``TrainerCommand``): writes the job spec into
/// the job's output directory, starts the trainer in a process group of its own, and hands back the
/// ``TrainerRun`` that streams its progress and ends in a ``TrainerResult`` or a ``TrainerError``.
public struct Trainer: Sendable {
    public var command: TrainerCommand
    /// How long a cancelled trainer has to stop after SIGTERM before its group gets SIGKILL.
    public var gracePeriod: Duration

    public init(command: TrainerCommand, gracePeriod: Duration = .seconds(5)) {
        self.command = command
        self.gracePeriod = gracePeriod
    }

    /// Starts the trainer on `spec` (its spec file is `OUTPUT_DIR/job-spec.json`).
    public func start(_ spec: TrainerJobSpec) throws(TrainerError) -> TrainerRun {
        if let missing = command.missing { throw TrainerError(.launchFailed, missing) }
        let specPath = URL(fileURLWithPath: spec.outputDirectory).appendingPathComponent("job-spec.json").path
        do {
            try FileManager.default.createDirectory(atPath: spec.outputDirectory, withIntermediateDirectories: true)
            try spec.jsonData().write(to: URL(fileURLWithPath: specPath), options: .atomic)
        } catch {
            throw TrainerError(.launchFailed, "cannot write the job spec \(specPath): \(error)")
        }
        return try TrainerRun.launch(command: command, specPath: specPath, gracePeriod: gracePeriod)
    }

    /// Runs the trainer to its end; `progress` sees every event as it comes.
    public func run(_ spec: TrainerJobSpec, progress: @Sendable (TrainerEvent) -> Void = { _ in }) async throws(TrainerError) -> TrainerResult {
        let run = try start(spec)
        let events = run.events
        await withTaskCancellationHandler {
            for await event in events { progress(event) }
        } onCancel: {
            run.cancel()
        }
        return try await run.result()
    }
}
