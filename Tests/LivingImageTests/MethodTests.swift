import Foundation
import Synchronization
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
        }
    }

    @Test func whileOneSendSleepsAnotherCompletesOnTheSameInterpreter() async throws {
        // BABS>>doze naps with Lua's `sleep` until a gate opens, and the test opens it only once
        // ROBIN>>quick has answered. On one interpreter, quick can answer first only if doze's
        // `sleep` gives the interpreter back: had the sends run one after another, doze would
        // finish first (when the watchdog opens the gate) and the order below would be wrong.
        let gate = Gate()
        let primitive = HostPrimitive(name: "gate.isOpen") { _, _ in .bool(gate.check()) }
        try await withImage(primitives: [primitive], interpreters: 1) { image, _ in
            try await image.defineMethod("doze", on: "BABS", source: """
                local naps = 0
                while not gate.isOpen() do sleep(0.01) naps = naps + 1 end
                return naps
                """)
            try await image.defineMethod("quick", on: "ROBIN", source: "return 'quick'")
            let finished = CompletionOrder()
            // doze's wall-clock limit outlasts the watchdog: only the gate ends its nap.
            var dozeLimits = testLimits
            dozeLimits.wallClockSeconds = 2 * Double(patience.components.seconds)
            let doze = Task {
                defer { finished.append("doze") }
                return try await image.send("BABS", "doze", limits: dozeLimits)
            }
            await waitUntil("BABS>>doze is in its nap loop") { gate.checks > 0 }
            let watchdog = Task {
                try await Task.sleep(for: patience)
                Issue.record("ROBIN>>quick did not answer while BABS>>doze slept")
                gate.open()
            }
            let quick = try await image.send("ROBIN", "quick")
            finished.append("quick")
            gate.open()
            watchdog.cancel()
            let naps = try await doze.value
            #expect(quick == "quick")
            #expect(finished.order == ["quick", "doze"])
            #expect((naps.doubleValue ?? 0) >= 1)
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

    @Test func exportWritesAWholeCopyAndNeverOverwritesAFile() async throws {
        try await withImage { image, dir in
            try await image.defineMethod("x", on: "BRICK", source: "return 1")
            try await offload { try image.export(to: dir.path("copy.image")) }
            await expectImageError(.fileExists) { try await offload { try image.export(to: dir.path("copy.image")) } }
            let copy = try await Image.open(at: dir.path("copy.image"), create: false)
            defer { copy.close() }
            #expect(copy.memory.snapshot() == image.memory.snapshot())
            #expect(try copy.history(limit: 1000).count == (try image.history(limit: 1000)).count)
        }
    }

    @Test func exportWritesAConsistentCopyWhileAWriterCommits() async throws {
        try await withImage { image, dir in
            // Each tick is one transaction over two protos: a copy with BRICK.tick ≠ ROBIN.tick
            // would hold half a transaction. Every tenth tick also redefines a method (a swap).
            try await image.defineMethod("mark", on: "ROBIN", source: "self:set('tick', args.i) return true")
            try await image.defineMethod("tick", on: "BRICK", source: "self:set('tick', args.i) send('ROBIN', 'mark', {i = args.i}) return args.i")
            let ticks = Counter()
            let stop = Gate(), writerEnded = Gate()
            let writer = Task {
                defer { writerEnded.open() }
                var i = 0
                while !stop.check() {
                    i += 1
                    _ = try await image.send("BRICK", "tick", ["i": .integer(Int64(i))])
                    if i % 10 == 0 { try await image.defineMethod("latest", on: "BABS", source: "return \(i)") }
                    ticks.set(i)
                }
            }
            // Export again and again until the writer has committed ten ticks since the first export began.
            let first = ticks.value
            var exports = 0
            await waitUntil("the writer committed 10 ticks while the image was exported") {
                exports += 1
                let path = dir.path("copy-\(exports).image")
                do {
                    try await offload { try image.export(to: path) }
                    try await expectConsistentCopy(at: path, of: image)
                } catch {
                    Issue.record("export \(exports): \(error)")
                }
                try? FileManager.default.removeItem(atPath: path)
                // A writer that failed ends the wait: its error fails the test below.
                return writerEnded.check() || (exports >= 3 && ticks.value >= first + 10)
            }
            stop.open()
            try await writer.value
            #expect(ticks.value >= first + 10)
        }
    }

    /// The copy at `path` is a whole image: exactly the live image as it was after one of its
    /// changes, with a change log that is a prefix of the live one.
    func expectConsistentCopy(at path: String, of image: Image) async throws {
        let copy = try await Image.open(at: path, create: false)
        defer { copy.close() }
        let protos = copy.memory.snapshot()
        #expect(protos["BRICK"]?.slots["tick"] == protos["ROBIN"]?.slots["tick"], "half a transaction was exported")
        let copied = try copy.history(limit: 1_000_000)
        let live = try image.history(limit: 1_000_000)
        #expect(copied.count <= live.count)
        #expect(Array(live.prefix(copied.count)) == copied, "the copy's change log is not a prefix of the image's")
        let last = try #require(copied.last)
        for (name, proto) in protos {
            #expect(Int64(copied.filter { $0.proto == name }.count) == proto.version, "\(name) v\(proto.version)")
            let then = try #require(try image.memory.store.state(of: name, afterChange: last.id))
            #expect(then.slots == proto.slots, "\(name)'s slots are not as they were after change \(last.id)")
            #expect(then.methods.mapValues(\.source) == proto.methods.mapValues(\.source), "\(name)'s methods differ")
            #expect(then.parent == proto.parent && then.codex == proto.codex)
        }
        #expect(Set(protos.keys) == Set(image.memory.snapshot().keys))
    }

    @Test func eventsAnnounceInstalledMethodsAndChangedSlots() async throws {
        try await withImage { image, _ in
            let stream = image.events.subscribe()
            try await image.defineMethod("tick", on: "BRICK", source: "self:set('ticks', 1) return 1")
            _ = try await image.send("BRICK", "tick")
            let events = await readEvents(stream, "BRICK.ticks changed") { event in
                if case .slotChanged("BRICK", "ticks", _) = event { return true }
                return false
            }
            #expect(events.contains { if case .methodInstalled("BRICK", "tick", 1, _) = $0 { true } else { false } })
            #expect(events.contains { if case .slotChanged("BRICK", "ticks", _) = $0 { true } else { false } })
        }
    }
}

/// Waits until `parties` callers have arrived (true), or ``patience`` passes (false).
actor Barrier {
    let parties: Int
    var arrived = 0

    init(parties: Int) { self.parties = parties }

    func arrive() async -> Bool {
        arrived += 1
        let deadline = ContinuousClock.now + patience
        while arrived < parties {
            if ContinuousClock.now > deadline { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}

/// A flag a test opens once, and how often a method has looked at it.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, checks: Int)>((false, 0))

    func check() -> Bool { state.withLock { $0.checks += 1; return $0.open } }
    func open() { state.withLock { $0.open = true } }
    var checks: Int { state.withLock { $0.checks } }
}

/// The order in which concurrent work finished.
final class CompletionOrder: Sendable {
    private let names = Mutex<[String]>([])

    func append(_ name: String) { names.withLock { $0.append(name) } }
    var order: [String] { names.withLock { $0 } }
}

/// A number one task sets and another reads.
final class Counter: Sendable {
    private let number = Mutex(0)

    func set(_ value: Int) { number.withLock { $0 = value } }
    var value: Int { number.withLock { $0 } }
}
