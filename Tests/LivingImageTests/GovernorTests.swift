import Foundation
import Testing
@testable import LivingImage

/// The governor: every change passes it at commit, and the rules of ALFRED's codex hold on
/// every path — a method's slot writes, a person's direct write, a forge-style install, a rollback.
@Suite struct GovernorTests {
    /// The first veto published on `events`; a refusal that is not published fails the test.
    func veto(_ events: AsyncStream<ImageEvent>, sourceLocation: SourceLocation = #_sourceLocation) async -> Governor.Veto? {
        let read = await readEvents(events, "a governor.veto event", sourceLocation: sourceLocation) { event in
            if case .governorVeto = event { return true }
            return false
        }
        guard case .governorVeto(let veto)? = read.last else { return nil }
        return veto
    }

    @Test func aMethodCannotWriteTheCodexOrAProtectedSlot() async throws {
        try await withImage { image, _ in
            let events = image.events.subscribe()
            try await image.defineMethod("rewrite", on: "BRICK", source: "self:set('codex', {name = 'BRICK', role = 'anything'}) return 1")
            let before = try ImageFingerprint(image)
            let error = await expectImageError(.vetoed) { try await image.send("BRICK", "rewrite") }
            #expect(error?.veto?.rule == "protected_slots")
            #expect(error?.description.contains("only the Architect") == true)
            #expect(error?.description.contains("never a method") == true)
            #expect(try ImageFingerprint(image) == before)
            let published = await veto(events)
            #expect(published?.proto == "BRICK" && published?.subject == "slot:codex")

            // `model` is protected by the genesis codex: a method cannot rebind its persona either.
            try await image.defineMethod("rebind", on: "ROBIN", source: "self:set('model', 'tiny') return 1")
            await expectImageError(.vetoed) { try await image.send("ROBIN", "rebind") }
            #expect(try image.slot("model", of: "ROBIN") == nil)
        }
    }

    @Test func aMethodCannotWipeTestsOrInstallPythonTools() async throws {
        try await withImage { image, _ in
            let events = image.events.subscribe()
            try await image.defineMethod("wipe", on: "BRICK", source: "self:set('tests', {}) return 1")
            let error = await expectImageError(.vetoed) { try await image.send("BRICK", "wipe") }
            #expect(error?.veto?.rule == "verified_slots")
            #expect(error?.description.contains("use `a4ps forge BRICK SELECTOR`") == true)
            #expect(await veto(events)?.subject == "slot:tests")

            // The refusal comes at commit, where pcall cannot catch it: nothing of the send commits.
            try await image.defineMethod("sneak", on: "BRICK", source: """
                pcall(self.set, self, 'python_tools', {evil = {source = 'def run(a): return 1'}})
                self:set('note', 'tried')
                return 1
                """)
            let sneaked = await expectImageError(.vetoed) { try await image.send("BRICK", "sneak") }
            #expect(sneaked?.description.contains("changes only through a verified install") == true)
            #expect(try image.slot("python_tools", of: "BRICK") == nil)
            #expect(try image.slot("note", of: "BRICK") == nil)
        }
    }

    @Test func aDirectWriteOfTestsIsRefusedAndTheArchitectAloneChangesProtectedSlots() async throws {
        try await withImage { image, _ in
            let error = await expectImageError(.vetoed) {
                try await image.setSlot("tests", of: "BRICK", to: ["double": "assert(true)"])
            }
            #expect(error?.description.contains("a direct write may not write it") == true)
            await expectImageError(.vetoed) { try await image.setSlot("python_tools", of: "BABS", to: [:]) }

            // A person may rebind a model; the system may not.
            try await image.setSlot("model", of: "ROBIN", to: "mistral:7b-instruct", author: .architect)
            await expectImageError(.vetoed) { try await image.setSlot("model", of: "ROBIN", to: "tiny", author: .system) }
            #expect(try image.slot("model", of: "ROBIN") == "mistral:7b-instruct")

            // The codex (not a slot) likewise: only the Architect's swap changes it.
            let brick = try #require(image.memory.proto(named: "BRICK"))
            var amended = brick.clone()
            amended.codex = ["name": "BRICK", "role": "amended", "system_prompt": "You are BRICK."]
            let forged = await expectImageError(.vetoed) {
                try await image.memory.swap(amended, expecting: brick.version, author: .forge, reason: "sneaky")
            }
            #expect(forged?.veto?.subject == "codex")
            try await image.memory.swap(amended, expecting: brick.version, author: .architect, reason: "amendment")
            #expect(image.memory.proto(named: "BRICK")?.codex["role"] == "amended")
        }
    }

    @Test func theVerifiedPathWritesTestsWithinTheCodexRules() async throws {
        try await withImage { image, _ in
            func install(_ proto: String, _ selector: String, _ source: String, author: ChangeAuthor = .forge) async throws {
                let current = try #require(image.memory.proto(named: proto))
                var clone = current.clone()
                clone.define(selector, source: source)
                clone.slots["tests"] = [selector: "assert(true)"]
                try await image.memory.swap(clone, expecting: current.version, author: author, reason: "install")
            }
            try await install("BRICK", "double", "return args.n * 2")
            #expect(image.memory.proto(named: "BRICK")?.slots["tests"]?["double"] == "assert(true)")

            let forbidden = await expectImageError(.vetoed) { try await install("BRICK", "shell", "return os.execute('ls')") }
            #expect(forbidden?.veto?.rule == "forbidden_primitives")
            let huge = await expectImageError(.vetoed) {
                try await install("BRICK", "huge", "return 1 --" + String(repeating: "x", count: 20_000))
            }
            #expect(huge?.veto?.rule == "max_method_bytes")
            let alfred = await expectImageError(.vetoed) { try await install("ALFRED", "grow", "return 1") }
            #expect(alfred?.veto?.rule == "forge_allowed")
            // The debugger repairs any proto's methods; a person's definitions are theirs to judge.
            try await install("ALFRED", "grow", "return 1", author: .debugger)
            try await image.defineMethod("shell", on: "BRICK", source: "-- os.execute is not reachable anyway\nreturn 1")

            // A person restores tests by rollback; nobody writes them directly.
            let first = try #require(try image.history(proto: "BRICK", subject: "slot:tests").first)
            try await install("BRICK", "triple", "return args.n * 3")
            let tripled = try #require(try image.history(proto: "BRICK", subject: "slot:tests").last)
            try await image.rollback("BRICK", toChange: first.id)
            #expect(image.memory.proto(named: "BRICK")?.slots["tests"]?["triple"] == nil)
            let system = await expectImageError(.vetoed) { try await image.rollback("BRICK", toChange: tripled.id, author: .system) }
            #expect(system?.veto?.rule == "verified_slots")
        }
    }

    @Test func theRulesAreReadFromAlfredsCodexAtEachCommit() async throws {
        try await withImage { image, _ in
            try await image.defineMethod("feel", on: "ROBIN", source: "self:set('mood', args) return 1")
            #expect(try await image.send("ROBIN", "feel", "calm") == 1)

            let alfred = try #require(image.memory.proto(named: "ALFRED"))
            var clone = alfred.clone()
            var codex = clone.codex.objectValue ?? [:]
            var governance = codex["governance"]?.objectValue ?? [:]
            // The codex cannot unprotect itself or the verified slots, only add to them.
            governance["protected_slots"] = ["mood"]
            codex["governance"] = .object(governance)
            clone.codex = .object(codex)
            try await image.memory.swap(clone, expecting: alfred.version, author: .architect, reason: "protect mood")
            #expect(image.governanceRules.protectedSlots == ["mood", "codex"])
            #expect(image.governanceRules.verifiedSlots.isSuperset(of: ["tests", "python_tools"]))

            await expectImageError(.vetoed) { try await image.send("ROBIN", "feel", "restless") }
            #expect(try image.slot("mood", of: "ROBIN") == "calm")
            try await image.defineMethod("rewrite", on: "BRICK", source: "self:set('codex', 1) return 1")
            await expectImageError(.vetoed) { try await image.send("BRICK", "rewrite") }
        }
    }

    @Test func aDryRunNamesTheVetoWithoutPublishingIt() async throws {
        try await withImage { image, _ in
            var clone = try #require(image.memory.proto(named: "BRICK")).clone()
            clone.define("shell", source: "return io.open('/etc/passwd')")
            let vetoes = image.governorVetoes(swapping: clone, author: .forge)
            #expect(vetoes.map(\.rule) == ["forbidden_primitives"])
            #expect(image.governorVetoes(swapping: clone, author: .architect).isEmpty)
        }
    }
}
