import Foundation
import Testing
@testable import LivingImage

@Suite struct MethodTests {
    @Test func defineSendAndRedefine() async throws {
        try await withImage { image, _ in
            let first = try #require(try await image.defineMethod("double", on: "BRICK", source: "-- Doubles n.\nreturn args.n * 2"))
            #expect(first.deltas.map(\.subject) == ["method:double"])
            #expect(try await image.send("BRICK", "double", ["n": 21]) == .integer(42))
            try await image.defineMethod("double", on: "BRICK", source: "-- Doubles n, as a float.\nreturn args.n * 2.0")
            #expect(try await image.send("BRICK", "double", ["n": 21]) == .number(42))
            let brick = try #require(image.memory.proto(named: "BRICK"))
            #expect(brick.methods["double"]?.version == 2)
            #expect(brick.methods["double"]?.doc == "Doubles n, as a float.")
            let history = try image.history(proto: "BRICK", subject: "method:double")
            #expect(history.count == 2)
            #expect(history[1].deltas[0].before == .string("-- Doubles n.\nreturn args.n * 2"))
        }
    }

    @Test func inheritedMethodsRunWithTheReceiverAsSelf() async throws {
        try await withImage { image, _ in
            try await image.defineMethod("whoAmI", on: "Persona", source: "self:set('asked', true) return self.name")
            #expect(try await image.send("BABS", "whoAmI") == "BABS")
            #expect(image.memory.proto(named: "BABS")?.slots["asked"] == .bool(true))
            #expect(image.memory.proto(named: "Persona")?.slots["asked"] == nil)
        }
    }

    @Test func slotWritesCommitWithTheirChangeLogEntry() async throws {
        try await withImage { image, dir in
            try await image.defineMethod("remember", on: "BRICK", source: "self:set('note', args) self:set('count', (self:get('count') or 0) + 1) return self:get('count')")
            #expect(try await image.send("BRICK", "remember", ["a": [1, 2, 3]]) == .integer(1))
            #expect(try await image.send("BRICK", "remember", "second") == .integer(2))
            let brick = try #require(image.memory.proto(named: "BRICK"))
            #expect(brick.slots["note"] == "second")
            let last = try #require(try image.history(proto: "BRICK").last)
            #expect(last.kind == "slots")
            #expect(last.reason == "BRICK>>remember")
            #expect(Set(last.deltas.map(\.subject)) == ["slot:note", "slot:count"])
            #expect(last.protoVersion == brick.version)
            // Durable: a second connection to the file sees the same.
            let reopened = try await Image.open(at: dir.path("test.image"), create: false)
            defer { reopened.close() }
            #expect(reopened.memory.proto(named: "BRICK") == brick)
        }
    }

    @Test func aMethodThatRaisesDiscardsItsSlotWrites() async throws {
        try await withImage { image, _ in
            try await image.defineMethod("half", on: "BRICK", source: "self:set('x', 1)\nerror('changed my mind')")
            let before = try ImageFingerprint(image)
            let error = await expectImageError(.methodFailed) { try await image.send("BRICK", "half") }
            #expect(error?.description.contains("changed my mind") == true)
            #expect(error?.traceback?.contains("BRICK>>half") == true)
            #expect(try ImageFingerprint(image) == before)
        }
    }

    @Test func nestedSendsShareOneTransaction() async throws {
        try await withImage { image, _ in
            #expect(try await image.send("BRICK", "countdown", ["n": 5]) == [5, 4, 3, 2, 1, 0])
            #expect(image.memory.proto(named: "BRICK")?.slots["lastCountdown"] == .integer(5))
            // A nested send that fails rolls back its own writes only; the caller may catch it.
            try await image.defineMethod("inner", on: "ROBIN", source: "self:set('inner', 1) error('no')")
            try await image.defineMethod("outer", on: "BRICK", source: """
                self:set('outer', 1)
                local ok, err = pcall(send, 'ROBIN', 'inner', {})
                return {ok = ok, err = err}
                """)
            let answer = try await image.send("BRICK", "outer")
            #expect(answer["ok"] == false)
            #expect(answer["err"]?.stringValue?.contains("ROBIN>>inner raised") == true)
            #expect(image.memory.proto(named: "BRICK")?.slots["outer"] == .integer(1))
            #expect(image.memory.proto(named: "ROBIN")?.slots["inner"] == nil)
        }
    }

    @Test func asyncPrimitivesYieldToTheHostAndResume() async throws {
        let primitive = HostPrimitive(name: "echo.later") { args, context in
            try await Task.sleep(for: .milliseconds(20))
            return ["args": .array(args), "from": .string(context.receiver)]
        }
        try await withImage(primitives: [primitive]) { image, _ in
            try await image.defineMethod("ask", on: "BABS", source: "local r = echo.later('hi', 2) return r")
            let answer = try await image.send("BABS", "ask")
            #expect(answer == ["args": ["hi", 2], "from": "BABS"])
            // While one send sleeps, others run on the same interpreter.
            try await image.defineMethod("nap", on: "BABS", source: "sleep(0.05) return 'rested'")
            try await withThrowingTaskGroup(of: JSONValue.self) { group in
                for _ in 0..<5 { group.addTask { try await image.send("BABS", "nap") } }
                for try await answer in group { #expect(answer == "rested") }
            }
        }
    }

    @Test func sendsAwaitingTheHostInterleaveOnOneInterpreter() async throws {
        // A barrier that opens only when all five sends are waiting in it at the same time:
        // if the interpreter ran sends one after another, it would never open.
        let barrier = Barrier(parties: 5)
        let primitive = HostPrimitive(name: "barrier") { _, _ in .bool(await barrier.arrive()) }
        try await withImage(primitives: [primitive], interpreters: 1) { image, _ in
            try await image.defineMethod("meet", on: "ROBIN", source: "return barrier()")
            try await withThrowingTaskGroup(of: JSONValue.self) { group in
                for _ in 0..<5 { group.addTask { try await image.send("ROBIN", "meet") } }
                for try await answer in group { #expect(answer == true) }
            }
        }
    }

    @Test func rollbackRestoresAProtoAsANewChange() async throws {
        try await withImage { image, _ in
            let v1 = try #require(try await image.defineMethod("greet", on: "ROBIN", source: "return 'hello'"))
            try await image.defineMethod("greet", on: "ROBIN", source: "return 'HELLO!!'")
            try await image.setSlot("mood", of: "ROBIN", to: "loud")
            #expect(try await image.send("ROBIN", "greet") == "HELLO!!")
            let rollback = try await image.rollback("ROBIN", toChange: v1.id)
            #expect(rollback.kind == "rollback")
            #expect(try await image.send("ROBIN", "greet") == "hello")
            #expect(image.memory.proto(named: "ROBIN")?.slots["mood"] == nil)
            #expect(image.memory.proto(named: "ROBIN")?.methods["greet"]?.version == 3)
            await expectImageError(.rollback) { try await image.rollback("ROBIN", toChange: 999_999) }
        }
    }

    @Test func exportWritesAConsistentCopyWhileInUse() async throws {
        try await withImage { image, dir in
            try await image.defineMethod("x", on: "BRICK", source: "return 1")
            try image.export(to: dir.path("copy.image"))
            await expectImageError(.fileExists) { try image.export(to: dir.path("copy.image")) }
            let copy = try await Image.open(at: dir.path("copy.image"), create: false)
            defer { copy.close() }
            #expect(copy.memory.snapshot() == image.memory.snapshot())
            #expect(try copy.history(limit: 1000).count == (try image.history(limit: 1000)).count)
        }
    }

    @Test func eventsAnnounceInstalledMethodsAndChangedSlots() async throws {
        try await withImage { image, _ in
            let stream = image.events.subscribe()
            try await image.defineMethod("tick", on: "BRICK", source: "self:set('ticks', 1) return 1")
            _ = try await image.send("BRICK", "tick")
            var installed = false
            var slotChanged = false
            for await event in stream {
                if case .methodInstalled(let proto, let selector, let version, _) = event {
                    installed = proto == "BRICK" && selector == "tick" && version == 1
                }
                if case .slotChanged(let proto, let slot, _) = event, proto == "BRICK", slot == "ticks" {
                    slotChanged = true
                    break
                }
            }
            #expect(installed && slotChanged)
        }
    }
}

/// Waits until `parties` callers have arrived (true), or 20 seconds pass (false).
actor Barrier {
    let parties: Int
    var arrived = 0

    init(parties: Int) { self.parties = parties }

    func arrive() async -> Bool {
        arrived += 1
        let deadline = ContinuousClock.now + .seconds(20)
        while arrived < parties {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}
