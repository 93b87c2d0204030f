import Foundation
import GRDB

extension DatabaseMigrator {
    /// Migrates a file that other a4ps processes may be migrating at the same moment. GRDB reads
    /// which migrations are applied before taking the write lock, so a second process can try to
    /// apply what the first just committed; trying again sees it applied and goes on.
    public func migrateShared(_ writer: any DatabaseWriter) throws {
        var attempt = 0
        while true {
            do {
                try migrate(writer)
                return
            } catch {
                attempt += 1
                if attempt >= 5 { throw error }
                Thread.sleep(forTimeInterval: 0.02 * Double(attempt))
            }
        }
    }
}
