import Foundation
import Testing
@testable import LivingImage

/// Changes committed to the file by someone else (another process; here, a second `Image` on the
/// same file, which has connections of its own) are seen on the next send, and checking for
/// them costs a send almost nothing (issue #10, item 7). Two real processes: see
/// ConcurrentSendProcessTests in A4PSCLITests.
@Suite struct ExternalChangeTests {
    @Test func theNextSendSeesAnotherWritersChanges() async throws {
        let dir = TemporaryDirectory()
        let path = dir.path("shared.image")
        let mine = try await Image.open(at: path, interpreters: 1)
        defer { mine.close() }
        let theirs = try await Image.open(at: path, create: false, interpreters: 1)
        defer { theirs.close() }
        #expect(mine.memory.store.changeProbe.readsWALIndex)
        try await mine.defineMethod("owner", on: "BRICK", source: "return self:get('owner')")
        #expect(!mine.memory.hasExternalChanges(), "its own commits are not someone else's")

        try await theirs.setSlot("owner", of: "BRICK", to: "them")
        #expect(mine.memory.hasExternalChanges())
        #expect(try await mine.send("BRICK", "owner") == "them")
        #expect(!mine.memory.hasExternalChanges())
        // Only the changed proto was reloaded; the others are the very same values.
        #expect(mine.memory.proto(named: "ROBIN") == theirs.memory.proto(named: "ROBIN"))

        // A commit of its own, made on a stale copy, first loads theirs: nothing is overwritten.
        try await theirs.setSlot("their", of: "BRICK", to: 1)
        try await mine.setSlot("mine", of: "BRICK", to: 2)
        let brick = try #require(mine.memory.proto(named: "BRICK"))
        #expect(brick.slots["their"] == 1 && brick.slots["mine"] == 2 && brick.slots["owner"] == "them")
    }

    @Test func checkingForChangesIsCheap() async throws {
        try await withImage { image, _ in
            let probe = image.memory.store.changeProbe
            let clock = ContinuousClock()
            let rounds = 20_000
            _ = probe.hasNewChanges()
            let quick = clock.measure { for _ in 0..<rounds { _ = probe.hasNewChanges() } }
            let full = clock.measure { for _ in 0..<rounds { _ = probe.lastChangeInFile() } }
            print("checking for other processes' changes: \(quick / rounds) a check (WAL-index header), "
                + "\(full / rounds) reading the change log")
            #expect(quick < full)
        }
    }
}

