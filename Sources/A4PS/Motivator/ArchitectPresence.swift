import Foundation
import GRDB
import LivingImage

/// Whether the Architect is being served right now, in any a4ps process on this image: each of
/// the Architect's requests (`a4ps ask`, `send`, `think`, a send over the API) holds an entry in
/// the image file, under a lease it renews, while it runs. The motivator starts no goal while one
/// is held and pauses a running goal at its next step — the Architect never waits for the drive.
public struct ArchitectPresence: Sendable {
    let database: DatabasePool
    /// How long an entry lasts without renewal: a request whose process died stops counting after this.
    static let leaseSeconds: Double = 30
    private let owner = LeaseOwner().description

    public init(image: Image) throws {
        database = image.database
        var migrator = DatabaseMigrator()
        GoalStore.registerMigrations(in: &migrator)
        try migrator.migrateShared(database)
    }

    /// Runs `body` as an Architect's request (`what` says which): the motivator keeps out of its way until it ends.
    public func serving<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        let id = try begin(what)
        let renewal = Task { [database] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(Self.leaseSeconds / 3))
                if Task.isCancelled { break }
                _ = try? await database.write { db in
                    try db.execute(sql: "UPDATE architect_requests SET until = ? WHERE id = ?",
                                   arguments: [Date().timeIntervalSince1970 + Self.leaseSeconds, id])
                }
            }
        }
        do {
            let result = try await body()
            await stop(renewal, id)
            return result
        } catch {
            await stop(renewal, id)
            throw error
        }
    }

    /// Ends a request: its renewal stopped and waited for (the image may close next), its entry removed.
    private func stop(_ renewal: Task<Void, Never>, _ id: Int64) async {
        renewal.cancel()
        await renewal.value
        try? end(id)
    }

    func begin(_ what: String, now: Date = Date()) throws -> Int64 {
        try database.write { db in
            try db.execute(sql: "DELETE FROM architect_requests WHERE until < ?", arguments: [now.timeIntervalSince1970 - 3600])
            try db.execute(sql: "INSERT INTO architect_requests(owner, what, started_at, until) VALUES (?, ?, ?, ?)",
                           arguments: [owner, what, now.timeIntervalSince1970, now.timeIntervalSince1970 + Self.leaseSeconds])
            return db.lastInsertedRowID
        }
    }

    func end(_ id: Int64) throws {
        try database.write { db in try db.execute(sql: "DELETE FROM architect_requests WHERE id = ?", arguments: [id]) }
    }

    /// The Architect's requests running now (an entry whose process died, or whose lease ran out, does not count).
    public func current(now: Date = Date()) throws -> [String] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT owner, what FROM architect_requests WHERE until > ?", arguments: [now.timeIntervalSince1970])
                .filter { !LeaseOwner.isDead($0["owner"]) }
                .map { $0["what"] }
        }
    }

    /// Whether any Architect's request is running now.
    public func isBusy(now: Date = Date()) -> Bool {
        !((try? current(now: now)) ?? []).isEmpty
    }

    /// When the current entries' leases run out (to look again then, should their processes die without ending them).
    public func latestLease() throws -> Date? {
        try database.read { db in
            try Double.fetchOne(db, sql: "SELECT MAX(until) FROM architect_requests").map(Date.init(timeIntervalSince1970:))
        }
    }
}
