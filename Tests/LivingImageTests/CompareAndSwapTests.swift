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

// Compare-and-swap between real processes on one image file: A4PSCLITests/CrossProcessTests.swift
// (it runs the `a4ps` executable, which this target cannot).
