import Foundation
import Testing
@testable import LivingImage

/// Values that are small in Lua and huge once the host copies them (a table holding the same
/// table twice, thirty times over, reads as 2^30 nodes), values the host pushes into Lua, and
/// host waits: all stay within the send's memory cap, instruction budget and deadline.
@Suite struct HostBlowUpTests {
    /// A 31-table value that reads as 2^30 JSON nodes.
    static let bomb = "local t = {} for i = 1, 30 do t = {t, t} end\n"

    @Test func aSharedTableAnswerStopsAtTheMemoryCap() async throws {
        let stopped = try await expectStopped(Self.bomb + "return t", [.outOfMemory])
        #expect(stopped.error?.description.contains("memory cap") == true, "\(stopped.error?.description ?? "")")
    }

    /// Every way a Lua value reaches the host: json.encode, emit, self:set, a nested send's
    /// arguments, a host primitive's arguments. Each fails as a Lua error the method sees.
    @Test(arguments: ["return json.encode(t)", "emit('boom', t)", "self:set('x', t)", "return self:send('countdown', t)",
                      "return echo(t)", "log(json.encode(t))"])
    func everyReadOfASharedTableStopsAtTheMemoryCap(_ use: String) async throws {
        let stopped = try await expectStopped(Self.bomb + use, [.methodFailed], primitives: [Self.echo])
        #expect(stopped.error?.description.contains("memory cap") == true, "\(stopped.error?.description ?? "")")
    }

    /// Event subscribers may buffer thousands of events: what one send emits counts together.
    @Test func emittedPayloadsCountTogether() async throws {
        let stopped = try await expectStopped("""
            local big = string.rep('x', 1000000)
            for i = 1, 1000 do emit('flood', big) end
            """, [.methodFailed])
        #expect(stopped.error?.description.contains("events this send emits") == true, "\(stopped.error?.description ?? "")")
    }

    /// Catching the refusal and trying again costs budget each time: the loop is killed.
    @Test func retryingABlowUpIsKilled() async throws {
        try await expectStopped(Self.bomb + "while true do pcall(json.encode, t) end", [.killed])
        try await expectStopped(Self.bomb + "while true do pcall(json.encode, t) end", [.killed], limits: deadlineOnly(seconds: 1))
    }

    /// json.decode builds Lua values with the cap off: it is measured first, and what the
    /// method keeps counts against the cap.
    @Test func decodedValuesCountAgainstTheMemoryCap() async throws {
        let stopped = try await expectStopped("""
            local text = '[' .. string.rep('0,', 500000) .. '0]'
            local keep = {}
            for i = 1, 1000 do keep[i] = json.decode(text) end
            return #keep
            """, [.methodFailed, .outOfMemory])
        #expect(stopped.error?.description.contains("memory") == true, "\(stopped.error?.description ?? "")")
    }

    /// A model answer (any primitive's) too large for what the send may still allocate is
    /// refused before it is pushed.
    @Test func aHugePrimitiveAnswerIsRefused() async throws {
        let flood = HostPrimitive(name: "flood") { _, _ in
            .array(Array(repeating: .string(String(repeating: "x", count: 100)), count: 400_000))
        }
        let stopped = try await expectStopped("return #flood()", [.methodFailed], primitives: [flood])
        #expect(stopped.error?.description.contains("memory cap") == true, "\(stopped.error?.description ?? "")")
        try await withImage(primitives: [flood]) { image, _ in
            try await image.defineMethod("careful", on: "BRICK", source: "local ok, err = pcall(flood) return ok")
            #expect(try await image.send("BRICK", "careful") == false)
        }
    }

    /// The deadline covers a host primitive that does not answer: the send is killed on time,
    /// whether or not the primitive heeds cancellation.
    @Test func theDeadlineCoversHostWaits() async throws {
        let stubborn = HostPrimitive(name: "stubborn") { _, _ in
            try? await Task.sleep(for: .seconds(30))   // swallows the cancellation
            return "late"
        }
        let stopped = try await expectStopped("self:set('touched', true) return stubborn()", [.killed],
                                              limits: deadlineOnly(seconds: 1), primitives: [stubborn], within: .seconds(60))
        #expect(stopped.error?.description.contains("deadline of 1.0 s") == true, "\(stopped.error?.description ?? "")")
        // Nested in another send, through pcall: still the end of the whole send.
        try await withImage(primitives: [stubborn]) { image, _ in
            try await image.defineMethod("wait", on: "BRICK", source: "return stubborn()")
            try await image.defineMethod("probe", on: "BRICK", source: "return {pcall(function() return self:send('wait') end)}")
            let before = try ImageFingerprint(image)
            let start = ContinuousClock.now
            await expectImageError(.killed) { try await image.send("BRICK", "probe", limits: deadlineOnly(seconds: 1)) }
            #expect(ContinuousClock.now - start < .seconds(20))
            #expect(try ImageFingerprint(image) == before)
        }
    }

    @Test func ordinaryValuesStillCross() async throws {
        try await withImage(primitives: [Self.echo]) { image, _ in
            try await image.defineMethod("probe", on: "BRICK", source: """
                local big = {}
                for i = 1, 10000 do big[i] = {n = i, s = 'item ' .. i} end
                local back = json.decode(json.encode(big))
                self:set('big', big)
                return {count = #back, last = back[10000].s, echoed = echo({1, 2})[1], stored = #self:get('big')}
                """)
            let answer = try await image.send("BRICK", "probe")
            #expect(answer == ["count": 10000, "last": "item 10000", "echoed": [1, 2], "stored": 10000])
        }
    }

    static let echo = HostPrimitive(name: "echo") { args, _ in .array(args) }
}
