import Foundation
import Testing
@testable import LivingImage

@Suite struct CompareAndSwapTests {
    @Test func aStaleSwapFailsAndChangesNothing() async throws {
        try await withImage { image, _ in
            let original = try #require(image.memory.proto(named: "BRICK"))
            var first = original.clone()
            first.slots["winner"] = "first"
            var second = original.clone()
            second.slots["winner"] = "second"
            try await image.memory.swap(first, expecting: original.version, author: .architect, reason: "first")
            let before = try ImageFingerprint(image)
            await expectImageError(.conflict) {
                try await image.memory.swap(second, expecting: original.version, author: .architect, reason: "second")
            }
            #expect(try ImageFingerprint(image) == before)
            #expect(image.memory.proto(named: "BRICK")?.slots["winner"] == "first")
        }
    }

    @Test func concurrentCloneModifySwapNeverLosesAnUpdateSilently() async throws {
        try await withImage { image, _ in
            for round in 0..<50 {
                let base = try #require(image.memory.proto(named: "ROBIN"))
                let outcomes = await withTaskGroup(of: (String, Bool).self) { group in
                    for contender in ["a", "b"] {
                        group.addTask {
                            var clone = base.clone()
                            clone.slots["last"] = .string("\(contender)\(round)")
                            do {
                                try await image.memory.swap(clone, expecting: base.version, author: .architect, reason: contender)
                                return (contender, true)
                            } catch {
                                #expect((error as? ImageError)?.code == .conflict)
                                return (contender, false)
                            }
                        }
                    }
                    var results: [(String, Bool)] = []
                    for await r in group { results.append(r) }
                    return results
                }
                let winners = outcomes.filter(\.1).map(\.0)
                #expect(winners.count == 1, "round \(round): exactly one swap wins")
                let live = try #require(image.memory.proto(named: "ROBIN"))
                #expect(live.slots["last"] == .string("\(winners[0])\(round)"))
                #expect(live.version == base.version + 1)
            }
        }
    }
}

@Suite struct CrossProcessTests {
    @Test func aChangeMadeThroughAnotherConnectionIsNeverOverwritten() async throws {
        let dir = TemporaryDirectory()
        let path = dir.path("shared.image")
        let first = try await Image.open(at: path, interpreters: 1)
        defer { first.close() }
        let second = try await Image.open(at: path, create: false, interpreters: 1)
        defer { second.close() }
        // `second` changes BRICK; `first` still holds the old BRICK in memory.
        try await second.setSlot("owner", of: "BRICK", to: "second")
        let stale = try #require(first.memory.proto(named: "BRICK"))
        var clone = stale.clone()
        clone.slots["owner"] = "first"
        await expectImageError(.conflict) {
            try await first.memory.swap(clone, expecting: stale.version, author: .architect, reason: "stale")
        }
        // The conflict reloaded `first`; a retry on a fresh clone keeps both changes in order.
        #expect(first.memory.proto(named: "BRICK")?.slots["owner"] == "second")
        try await first.defineMethod("mine", on: "BRICK", source: "return self:get('owner')")
        #expect(try await first.send("BRICK", "mine") == "second")
        // Slot writes of a method are reapplied on the reloaded proto.
        try await second.setSlot("other", of: "BRICK", to: 1)
        try await first.defineMethod("touch", on: "ROBIN", source: "return 1")
        try await first.defineMethod("claim", on: "BRICK", source: "self:set('owner', 'first') return true")
        _ = try await first.send("BRICK", "claim")
        let reopened = try await Image.open(at: path, create: false, interpreters: 1)
        defer { reopened.close() }
        #expect(reopened.memory.proto(named: "BRICK")?.slots["owner"] == "first")
        #expect(reopened.memory.proto(named: "BRICK")?.slots["other"] == 1)
    }
}
