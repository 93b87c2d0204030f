import Foundation
import Synchronization
import Testing
@testable import LivingImage

/// A method call is isolated for what it read: its commit checks that every slot it read still
/// holds what it read, and a send whose reads went stale runs again — or, when it already did
/// something outside the image, fails with a conflict. No update is lost (issue #10, item 4).
///
/// Sends run under the standard limits: they wait on durable commits, which on a busy machine
/// take longer than the small test limits allow.
@Suite struct StaleReadTests {
    static let increment = "self:set('n', (self:get('n') or 0) + 1) return true"

    @Test func concurrentIncrementsFromManyTasksAreAllCounted() async throws {
        try await withImage(interpreters: 4) { image, _ in
            try await image.defineMethod("increment", on: "BRICK", source: Self.increment)
            let tasks = 20, sends = 5
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<tasks {
                    group.addTask { for _ in 0..<sends { _ = try await image.send("BRICK", "increment", limits: .standard) } }
                }
                try await group.waitForAll()
            }
            #expect(try image.slot("n", of: "BRICK") == .integer(Int64(tasks * sends)))
            let reruns = await image.reruns()
            print("\(tasks * sends) concurrent increments in one process: n = \(try image.slot("n", of: "BRICK")?.jsonText ?? "nil"), \(reruns) re-runs")
        }
    }

    /// Sends that only write, or read slots nobody else writes, never run twice.
    @Test func writesWithoutReadsAndUnrelatedSlotsDoNotConflict() async throws {
        try await withImage(interpreters: 4) { image, _ in
            try await image.defineMethod("stamp", on: "BRICK", source: "self:set('last', args) return true")
            try await image.defineMethod("own", on: "BRICK", source: "local k = 'own' .. args self:set(k, (self:get(k) or 0) + 1) return true")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<20 {
                    group.addTask { _ = try await image.send("BRICK", "stamp", .integer(Int64(i)), limits: .standard) }
                    group.addTask { _ = try await image.send("BRICK", "own", .integer(Int64(i)), limits: .standard) }
                }
                try await group.waitForAll()
            }
            #expect(await image.reruns() == 0)
            for i in 0..<20 { #expect(try image.slot("own\(i)", of: "BRICK") == 1) }
        }
    }

    /// The calls of the test's primitives, and the image they change.
    final class Calls: Sendable {
        let count = Mutex(0)
        let image = Mutex<Image?>(nil)

        /// Counts a call; answers the image the first time only.
        func next() -> Image? {
            count.withLock { $0 += 1; return $0 } == 1 ? image.withLock { $0 } : nil
        }
        var made: Int { count.withLock { $0 } }
    }

    /// A primitive that commits a change to BRICK.n while the send waits on it, the first time only.
    static func toucher(_ name: String, repeatable: Bool, calls: Calls) -> HostPrimitive {
        HostPrimitive(name: name, repeatable: repeatable) { _, _ in
            if let image = calls.next() { try await image.setSlot("n", of: "BRICK", to: 41) }
            return .null
        }
    }

    @Test func aSendWhoseReadWentStaleRunsAgain() async throws {
        let calls = Calls()
        try await withImage(primitives: [Self.toucher("peek", repeatable: true, calls: calls)]) { image, _ in
            calls.image.withLock { $0 = image }
            try await image.setSlot("n", of: "BRICK", to: 1)
            try await image.defineMethod("bump", on: "BRICK", source: "local n = self:get('n') peek() self:set('n', n + 1) return n + 1")
            #expect(try await image.send("BRICK", "bump", limits: .standard) == 42)
            #expect(try image.slot("n", of: "BRICK") == 42)
            #expect(calls.made == 2)
            #expect(await image.reruns() == 1)
        }
    }

    /// A slot inherited from the parent is a read too.
    @Test func anInheritedReadIsChecked() async throws {
        let calls = Calls()
        let touch = HostPrimitive(name: "peek", repeatable: true) { _, _ in
            if let image = calls.next() { try await image.setSlot("base", of: "Persona", to: 10) }
            return .null
        }
        try await withImage(primitives: [touch]) { image, _ in
            calls.image.withLock { $0 = image }
            try await image.setSlot("base", of: "Persona", to: 1)
            try await image.defineMethod("copy", on: "BRICK", source: "local b = self:get('base') peek() self:set('copy', b) return b")
            #expect(try await image.send("BRICK", "copy", limits: .standard) == 10)
            #expect(try image.slot("copy", of: "BRICK") == 10)
        }
    }

    /// A model call, `memory.add`, an emitted event must not happen twice: such a send fails
    /// with a conflict that says why, and commits nothing.
    @Test(arguments: [
        ("poke", "local n = self:get('n') poke() self:set('n', n + 1) return n + 1"),
        ("emit", "local n = self:get('n') emit('seen', {n = n}) peek() self:set('n', n + 1) return n + 1"),
    ])
    func aSendThatMadeAnEffectFailsInsteadOfRunningTwice(_ effect: String, _ source: String) async throws {
        let calls = Calls()
        let primitives = [Self.toucher("poke", repeatable: false, calls: calls),
                          Self.toucher("peek", repeatable: true, calls: calls)]
        try await withImage(primitives: primitives) { image, _ in
            calls.image.withLock { $0 = image }
            try await image.setSlot("n", of: "BRICK", to: 1)
            try await image.defineMethod("bump", on: "BRICK", source: source)
            let error = await expectImageError(.conflict) { try await image.send("BRICK", "bump", limits: .standard) }
            #expect(error?.description.contains("already called \(effect)") == true, "\(error?.description ?? "")")
            #expect(error?.description.contains("send it again") == true)
            #expect(calls.made == 1)
            #expect(try image.slot("n", of: "BRICK") == 41)
            #expect(await image.reruns() == 0)
        }
    }
}
