import AsyncHTTPClient
import Foundation
import GRDB
import Inference
import LivingImage
import Logging
import Scrapbook
import ToolSandbox

/// A running a4ps: the image, the model layer and the scrapbook, wired together so that Lua
/// methods can `think`, `embed` and use `memory.search` / `memory.add`.
///
/// Open one per process with ``open(imagePath:configPath:create:logger:)``; call ``shutdown()`` when done.
public final class Runtime: Sendable {
    public let config: A4PSConfig
    public let image: Image
    public let models: ModelManager
    public let scrapbook: Scrapbook
    /// Deliberation runs over graphs kept in the image.
    public let runner: GraphRunner
    /// The OS sandbox Python tools run in (`[sandbox]` of config.toml).
    public let sandbox: PythonSandbox
    /// Grows missing methods (`a4ps forge`, and `doesNotUnderstand` when ALFRED allows it).
    public var forge: ToolForge { ToolForge(image: image, models: models, sandbox: sandbox) }
    /// ALFRED's Oracle: scores finished deliberations (every one when `[strategic]
    /// score_deliberations` is on, the default).
    public var oracle: Oracle {
        Oracle(image: image, runner: runner, models: models, golden: golden, goldenThreshold: config.strategic.goldenThreshold)
    }
    /// The personas' golden datasets (training examples from interactions the Oracle found golden).
    public let golden: GoldenDataset
    /// Fine-tunes: jobs queued, run, validated and swapped in (`a4ps finetune`).
    public let finetune: FinetuneWorker
    /// Ascensions: candidate base models evaluated on a clone, proposed, applied (`a4ps ascend`).
    public let ascension: AscensionWorker
    /// Debug sessions of methods that raised, and their repair.
    public let debugger: LiveDebugger
    /// Codex amendments: ALFRED drafts them from persistent dissonance (or when asked), the Architect decides.
    public let amendments: CodexAmendments
    /// The autotelic drive: goals from events, pursued by `a4ps serve` when the Architect is not waiting.
    public let motivator: Motivator
    /// What each persona was sent, call by call, for the latest runs (kept in the image file).
    public let prompts: PromptLog
    /// Whether an Architect's request runs now (the motivator keeps out of its way); wrap each in ``serving(_:_:)``.
    public var presence: ArchitectPresence { motivator.presence }
    private let watching: Task<Void, Never>
    private let observing: Task<Void, Never>
    private let httpClient: HTTPClient

    private init(config: A4PSConfig, image: Image, models: ModelManager, scrapbook: Scrapbook, runner: GraphRunner,
                 debugger: LiveDebugger, repairing: Bool, sandbox: PythonSandbox, httpClient: HTTPClient, golden: GoldenDataset,
                 finetune: FinetuneWorker, ascension: AscensionWorker, amendments: CodexAmendments, motivator: Motivator,
                 prompts: PromptLog) {
        self.golden = golden
        self.prompts = prompts
        self.amendments = amendments
        self.motivator = motivator
        observing = motivator.observe()
        self.finetune = finetune
        self.ascension = ascension
        self.sandbox = sandbox
        self.debugger = debugger
        watching = debugger.watch(repairing: repairing)
        self.config = config
        self.image = image
        self.models = models
        self.scrapbook = scrapbook
        self.runner = runner
        self.httpClient = httpClient
    }

    /// Opens (creating from genesis when `create` is set) the image and the scrapbook — in the
    /// image file, or in `[memory] db_path` when config.toml names one. `repairing` lets the live
    /// debugger repair failing methods on its own (for long-running processes such as `serve`).
    ///
    /// When config.toml chooses no model server and Ollama does not answer, the personas think
    /// with the embedded local model (``ModelServerChoice``); `announce` receives the one notice
    /// that says so (standard error by default).
    public static func open(imagePath: String, config chosen: A4PSConfig, create: Bool = true, limits: RunLimits = .standard,
                            repairing: Bool = false, logger: Logger? = nil,
                            announce: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    ) async throws -> Runtime {
        let client = BackendFactory.makeHTTPClient(connectTimeoutSeconds: chosen.inference.connectTimeoutSeconds)
        let (config, notice) = await ModelServerChoice.resolve(chosen, httpClient: client)
        if let notice { announce(notice) }
        do {
            let models = try ModelManager(config: config, httpClient: client)
            let embedder = ModelEmbedder(models: models, modelName: config.models.embedding)
            let scrapbookSlot = LateBound<Scrapbook>("the scrapbook")
            let forgeSlot = LateBound<ToolForge>("the Tool Forge")
            let imageSlot = LateBound<Image>("the image")
            let proposalsSlot = LateBound<CodexProposalStore>("the codex proposals")
            let sandbox = PythonSandbox(settings: config.sandbox)
            let image = try await Image.open(
                at: imagePath, create: create,
                primitives: PersonaPrimitives.all(models: models) + MemoryPrimitives.all(scrapbook: scrapbookSlot)
                    + [RunContext.primitive, ForgePrimitive.make(forgeSlot), PythonTools.primitive(sandbox: sandbox, image: imageSlot)]
                    + AmendmentPrimitives.all(proposals: proposalsSlot, lifetime: config.philosophical.proposalLifetimeDays * 86_400),
                limits: limits, logger: logger)
            do {
                var scrapbookLogger = logger ?? Logger(label: "a4ps.scrapbook")
                if logger == nil { scrapbookLogger.logLevel = .warning }
                let scrapbook: Scrapbook
                if let separate = config.memory.dbPath {
                    scrapbook = try Scrapbook.open(path: separate, embedder: embedder, logger: scrapbookLogger)
                } else {
                    try await image.database.read { try Scrapbook.checkCompatibility($0) }
                    var migrator = DatabaseMigrator()
                    Scrapbook.registerMigrations(in: &migrator)
                    try migrator.migrateShared(image.database)
                    scrapbook = try Scrapbook(database: image.database, embedder: embedder, logger: scrapbookLogger)
                }
                scrapbookSlot.set(scrapbook)
                imageSlot.set(image)
                forgeSlot.set(ToolForge(image: image, models: models, sandbox: sandbox))
                let runner = try GraphRunner(image: image) { await models.metrics().loads }
                let golden = try GoldenDataset(image: image)
                let finetune = FinetuneWorker(
                    image: image, models: models, golden: golden, store: try FinetuneJobStore(image: image), settings: config.strategic,
                    trainer: Trainer(command: .configured(config.strategic)), jobsDirectory: imagePath + ".finetune",
                    trainerBases: Dictionary(config.ascension.candidates.compactMap { candidate in candidate.trainerBase.map { (candidate.name, $0) } },
                                             uniquingKeysWith: { first, _ in first }),
                    logger: logger ?? Logger(label: "a4ps.strategic"))
                // The governor judges a loop's rebinding of a persona's model by what its server and the adapters know.
                image.useModelFacts(ServedModelFacts(models: models, config: config, adapters: finetune.store))
                let ascension = AscensionWorker(
                    image: image, models: models, golden: golden, finetune: finetune, runner: runner, store: try AscensionStore(image: image),
                    config: config, trainer: Trainer(command: .configured(config.strategic)), workDirectory: imagePath + ".ascension",
                    logger: logger ?? Logger(label: "a4ps.ascension"))
                // The models ascensions serve first: the strategic loop's adapters may have them as their base.
                try await ascension.restore()
                try await finetune.restoreAdapters()
                // A job whose worker died (a4ps killed mid-training) is found again: queued anew or failed, never forgotten.
                for job in try finetune.store.recover() {
                    (logger ?? Logger(label: "a4ps.strategic")).warning("fine-tune job \(job.id) of \(job.persona) lost its worker: \(job.reason ?? "")")
                }
                let proposals = try CodexProposalStore(image: image)
                proposalsSlot.set(proposals)
                let amendments = CodexAmendments(image: image, runner: runner, store: proposals,
                                                 logger: logger ?? Logger(label: "a4ps.philosophical"))
                let oracle = config.strategic.scoreDeliberations
                    ? Oracle(image: image, runner: runner, models: models, golden: golden, goldenThreshold: config.strategic.goldenThreshold)
                    : nil
                let finishedLogger = logger ?? Logger(label: "a4ps.oracle")
                await runner.whenFinished { run in
                    guard run.graph == CodexAmendments.deliberation else { return }
                    if let oracle {
                        do {
                            try await oracle.score(run: run.id)
                            finetune.enqueueDue()
                        } catch {
                            // A judge that fails leaves the run as it is: it can be scored later (`a4ps oracle score`).
                            finishedLogger.warning("the Oracle could not score \(run.id): \(error)")
                            image.events.publish(.emitted(proto: "ALFRED", name: "oracle.failed",
                                                          payload: ["run": .string(run.id), "error": .string("\(error)")]))
                        }
                    }
                    do {
                        try await amendments.consider(after: run)
                    } catch {
                        // The deliberation stands; the drafting failed and says why.
                        finishedLogger.warning("ALFRED could not consider a codex amendment after \(run.id): \(error)")
                        image.events.publish(.emitted(proto: "ALFRED", name: "philosophical.draft.failed",
                                                      payload: ["run": .string(run.id), "error": .string("\(error)")]))
                    }
                }
                let goals = try GoalStore(image: image)
                let motivator = Motivator(
                    image: image, store: goals, presence: try ArchitectPresence(image: image),
                    handlers: GoalHandlers(image: image, runner: runner, scrapbook: scrapbook,
                                           forge: { ToolForge(image: image, models: models, sandbox: sandbox) }, finetune: finetune,
                                           amendments: amendments, ascension: ascension, store: goals, settings: config.motivator),
                    settings: config.motivator, logger: logger ?? Logger(label: "a4ps.motivator"))
                let runtime = Runtime(config: config, image: image, models: models, scrapbook: scrapbook, runner: runner,
                                      debugger: try LiveDebugger(image: image, models: models, sandbox: sandbox), repairing: repairing,
                                      sandbox: sandbox, httpClient: client, golden: golden, finetune: finetune, ascension: ascension,
                                      amendments: amendments, motivator: motivator, prompts: try PromptLog(image: image))
                runtime.forwardModelEvents()
                return runtime
            } catch {
                image.close()
                throw error
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Republishes the model layer's tokens and loads on the image's event bus (for the server's
    /// event stream and anyone watching a deliberation).
    private func forwardModelEvents() {
        let (events, bus, prompts) = (models.events(), image.events, prompts)
        Task {
            for await event in events {
                switch event {
                case .callStarted(let persona, let run, let model, let messages):
                    do {
                        try prompts.record(persona: persona.uppercased(), runID: run, model: model, messages: messages)
                    } catch {
                        Logger(label: "a4ps.prompts").warning("the prompt of \(persona) in run \(run) was not kept: \(error)")
                    }
                case .delta(let delta): bus.publish(.modelToken(persona: delta.persona, run: delta.runID, text: delta.text))
                case .loaded(let model, _, _, let duration):
                    bus.publish(.modelLoaded(model: model, milliseconds: Int(duration.components.seconds * 1000
                        + duration.components.attoseconds / 1_000_000_000_000_000)))
                default: break
                }
            }
        }
    }

    /// Runs `body` as an Architect's request (`what`: "ask", "send BRICK describe"): the motivator
    /// starts no goal while it runs, and a running goal gives way at its next step.
    public func serving<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        defer { motivator.wake() }
        return try await presence.serving(what, body)
    }

    /// The state the four personas' deliberation (``CodexAmendments/deliberation``) starts from:
    /// the task, the most BRICK/ROBIN turns, config.toml's dissonance threshold, and `extra`.
    public func deliberationState(task: String, maxTurns: Int, extra: [String: JSONValue] = [:]) -> JSONValue {
        .object(extra.merging(["task": .string(task), "max_turns": .int(maxTurns),
                               "dissonance_threshold": .number(config.motivator.dissonanceThreshold)]) { _, new in new })
    }

    /// `a4ps doctor`'s checks of the model servers this runtime thinks with.
    public func doctor() async -> DoctorReport {
        await Doctor(config: config, httpClient: httpClient).run()
    }

    /// Closes the image and the HTTP client.
    public func shutdown() async {
        image.events.finish()      // the debugger records what is still queued, then stops
        await watching.value
        await observing.value      // the motivator queues goals for the events it still holds
        models.finishEvents()
        await models.embeddedServer?.stop()
        image.close()
        try? await httpClient.shutdown()
    }
}
