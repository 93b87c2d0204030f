import BlockingWork
import Foundation
import GRDB
import Logging

/// The Sidekick's Scrapbook: episodic memory kept in the image's SQLite file, searched by words, by meaning, or both.
///
/// A scrapbook works on a GRDB `DatabaseWriter` whose Scrapbook migrations have run (see
/// ``registerMigrations(in:)``) and owns the in-memory vector index built from it — loaded on the
/// first vector search, not on opening (see ``loadIndexIfNeeded()``): an exact scan
/// while small, an IVF index (k-means partitions, probe the nearest, re-rank exactly) once it
/// holds ``ScrapbookConfiguration/exactSearchThreshold`` vectors. Embeddings come from the
/// injected ``Embedder``; every vector carries its model, and a change of model is detected and
/// handled by ``reembed()``, never by mixing vectors.
///
/// ```swift
/// var migrator = DatabaseMigrator()
/// Scrapbook.registerMigrations(in: &migrator)   // next to the image's own migrations
/// try migrator.migrate(imageDatabase)
/// let scrapbook = try Scrapbook(database: imageDatabase, embedder: embedder)
/// try await scrapbook.add("The user prefers tea", source: .userDialogue, persona: "ALFRED")
/// let hits = try await scrapbook.search("what does the user drink?", mode: .hybrid, limit: 5)
/// ```
public actor Scrapbook {
    /// Runs this actor's blocking work (see ``DedicatedThreadExecutor``) off the cooperative pool.
    private let executor: DedicatedThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    let writer: any DatabaseWriter
    let embedder: any Embedder
    let configuration: ScrapbookConfiguration
    let logger: Logger

    /// The embedding space of the stored, indexed vectors; nil until the first memory is embedded.
    var space: EmbeddingSpace?
    /// The in-memory index of every vector of ``space``; nil until loaded (see ``indexLoaded``).
    var index: VectorIndex?
    /// Whether ``index`` was read from the file: opening does not read it, the first vector
    /// search (or anything else that needs it) does, once. Until then additions are only written.
    var indexLoaded = false
    /// How many times the index was read from the file on first need (reloads not counted).
    var indexLoads = 0
    /// What of the file the index reflects (nil: unknown, the next search reloads it); see ``catchUp()``.
    var watermark: IndexWatermark?
    /// How many times the index was reloaded because another process changed it.
    var reloads = 0
    /// How many IVF partitions were read from the file on first probe.
    var partitionReads = 0
    /// The persisted index's centroids, for placing vectors added while the index is not loaded.
    var placementCentroids: (trainedAt: Double, index: VectorIndex)?
    /// The training in progress, which concurrent `reindex()` calls share.
    var training: Task<IndexReport, any Error>?
    /// Vectors added while a training runs: the new index receives them when it is committed.
    var arrivals: [Arrival]?
    var lastTrainingSeconds: Double = 0

    struct Arrival {
        var id: Int64
        var vector: [Float]
        var source: String
        var persona: String?
        var createdAt: Double
    }

    /// Opens the scrapbook of a database whose Scrapbook migrations have been applied.
    ///
    /// Costs a few index lookups whatever the scrapbook's size: the vectors are read on the first
    /// vector or hybrid search (or ``loadIndexIfNeeded()``), not here.
    ///
    /// - Throws: ``ScrapbookError`` `.newerSchema` when the database was written by a newer a4ps,
    ///   `.notMigrated` when the migrations were not run.
    public init(
        database writer: any DatabaseWriter,
        embedder: any Embedder,
        configuration: ScrapbookConfiguration = ScrapbookConfiguration(),
        logger: Logger = Logger(label: "a4ps.scrapbook")
    ) throws {
        executor = DedicatedThreadExecutor(name: "a4ps.scrapbook")
        let configuration = try configuration.validated()
        let stored = try writer.read { db in
            try ScrapbookSchema.checkMigrated(db)
            return try IndexWatermark.read(db)
        }
        self.writer = writer
        self.embedder = embedder
        self.configuration = configuration
        self.logger = logger
        self.space = stored.space
        if let space = stored.space, space.model != embedder.modelName {
            logger.warning(
                "memories are embedded with \(space) but the embedder is '\(embedder.modelName)': run reembed() before vector search")
        }
    }

    /// Opens (creating if needed) a standalone scrapbook database file in WAL mode, migrates it and opens the scrapbook.
    ///
    /// For tests, benchmarks and tools; inside a4ps the scrapbook lives in the image's database.
    public static func open(
        path: String,
        embedder: any Embedder,
        configuration: ScrapbookConfiguration = ScrapbookConfiguration(),
        logger: Logger = Logger(label: "a4ps.scrapbook")
    ) throws -> Scrapbook {
        let database = try openDatabase(at: path)
        try migrate(database)
        return try Scrapbook(database: database, embedder: embedder, configuration: configuration, logger: logger)
    }

    /// Synchronous database access, so that no other call runs on the actor between reading the
    /// in-memory state and committing what depends on it.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.read(body)
    }

    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.write(body)
    }

    /// The current embedder's model name.
    public nonisolated var embedderModel: String { embedder.modelName }

    /// The memory with this id, if it exists.
    public func memory(_ id: MemoryID) throws -> Memory? {
        try read { try MemoryStore.memories($0, ids: [id])[id] }
    }

    /// The number of stored memories.
    public func count() throws -> Int {
        try read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM memory_item") ?? 0 }
    }
}
