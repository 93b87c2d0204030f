import GRDB

extension Scrapbook {
    /// Registers the Scrapbook's migrations (identifiers `scrapbook.*`, tables `memory_*`) on the image's migrator.
    ///
    /// Call ``checkCompatibility(_:)`` before migrating, so that an image written by a newer a4ps
    /// is refused before anything is touched.
    public static func registerMigrations(in migrator: inout DatabaseMigrator) {
        ScrapbookSchema.register(in: &migrator)
    }

    /// Throws ``ScrapbookError`` `.newerSchema` when the database has `scrapbook.*` migrations this build does not know.
    public static func checkCompatibility(_ db: Database) throws {
        try ScrapbookSchema.checkNotNewer(db)
    }

    /// Checks compatibility, then applies the Scrapbook migrations that are missing (and only those).
    public static func migrate(_ writer: any DatabaseWriter) throws {
        try writer.read { try ScrapbookSchema.checkNotNewer($0) }
        var migrator = DatabaseMigrator()
        registerMigrations(in: &migrator)
        try migrator.migrate(writer)
    }

    /// Opens or creates a database file in WAL mode (a `DatabasePool`), for a standalone scrapbook.
    public static func openDatabase(at path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return try DatabasePool(path: path, configuration: configuration)
    }
}
