import Foundation
import Testing
@testable import LivingImage

/// Lua that never leaves C: library functions whose loops run no Lua instruction, so the hook
/// never sees them. Each is stopped by the instruction budget and, with the budget lifted, by
/// the deadline, well before the minutes it ran unbounded; the image stays as it was.
@Suite struct CLibraryLimitTests {
    /// The attacks that ran past every limit before the library functions counted their work
    /// (issue #10: table.move ran over 60 s, the patterns over 30 s and 20 s).
    static let hangs = [
        "return table.move({}, 1, 2^40, 1, {})",
        "return string.find(string.rep('a', 40), string.rep('a*', 40) .. 'b')",
        "local s = string.rep('a', 200000) return s:find('.-.-.-.-.-b')",
        // Quadratic pattern items: %b, %f with .-, a class as long as the subject.
        "local s = string.rep('(', 200000) return s:find('%b()')",
        "local s = string.rep('x', 200000) return s:match('.-%f[y]')",
        "local s = string.rep('b', 100000) return s:find('[' .. string.rep('a', 100000) .. ']')",
        "local s = string.rep('a', 100000) return s:gsub('(a*)%1%1b', '')",
        "local s = string.rep('a', 100000) for w in s:gmatch('a-b') do end",
        // Loops bounded by a __len the script chooses.
        "local t = setmetatable({}, {__len = function() return 2^62 end}) table.insert(t, 1, 'x')",
        "local t = setmetatable({}, {__len = function() return 2^62 end}) return table.remove(t, 1)",
        "local t = {} return table.move(t, 1, 2^62, 2)",
        // Strings of \\0 make every comparison a strcoll per byte.
        "local s = string.rep('\\0', 2000000) local t = {} for i = 1, 200 do t[i] = s end table.sort(t)",
    ]

    @Test(arguments: hangs)
    func theBudgetStopsWorkInsideC(_ source: String) async throws {
        let stopped = try await expectStopped(source, [.killed])
        #expect(stopped.error?.description.contains("budget of \(testLimits.instructions) instructions") == true,
                "\(stopped.error?.description ?? "")")
    }

    @Test(arguments: hangs)
    func theDeadlineStopsWorkInsideC(_ source: String) async throws {
        let stopped = try await expectStopped(source, [.killed], limits: deadlineOnly(seconds: 1))
        #expect(stopped.error?.description.contains("deadline of 1.0 s") == true, "\(stopped.error?.description ?? "")")
    }

    /// Calls that each do bounded but large work, repeated without end: every call pays for
    /// its work, so the loop ends by the budget, not after the hook's next thousand calls.
    static let floods = [
        "while true do local s = string.rep('x', 4000000) end",
        "local t = {} for i = 1, 500000 do t[i] = '' end while true do table.concat(t) end",
        "local t = {} for i = 1, 200000 do t[i] = i end while true do table.unpack(t) end",
        "local s = string.rep('a', 200000) while true do s:byte(1, -1) end",
        "local s = string.rep('a', 4000000) while true do utf8.len(s) end",
        "local s = string.rep('\\x80', 4000000) local next = utf8.codes(s) while true do next(s, 0) end",
        "local s = string.rep('a', 4000000) while true do utf8.offset(s, 4000000) end",
        "local f = string.rep(' ', 4000000) while true do string.packsize(f) end",
        "local s = string.rep('1', 4000000) while true do tonumber(s) end",
        "local s = string.rep('1', 4000000) while true do local _ = s + 1 end",
        "local s = string.rep('a', 4000000) while true do s:find('b', 1, true) end",
        "local s = string.rep('a', 4000000) while true do s:find(string.rep('a', 1000) .. 'b', 1, true) end",
        "local t = {} for i = 1, 100000 do t[i] = 65 end while true do utf8.char(table.unpack(t, 1, 100000)) end",
        "while true do pcall(string.rep, 'x', 1e9) end",
        "local s = string.rep('x', 4000000) while true do local u = s:upper() end",
        "local f = string.rep('%c', 100000) while true do local u = os.date(f) end",
    ]

    @Test(arguments: floods)
    func repeatedLargeCallsAreCharged(_ source: String) async throws {
        try await expectStopped(source, [.killed])
    }

    /// Library abuse that ends by an ordinary error or the memory cap, never by running on.
    static let failures: [(source: String, codes: Set<ImageError.Code>)] = [
        ("return string.format('%099999d', 1)", [.methodFailed]),
        ("return string.rep('x', 1e6, string.rep('y', 1e6))", [.methodFailed]),
        ("return string.rep('xy', 2^40)", [.methodFailed]),
        ("return string.rep('x', 2^24, string.rep('y', 2^6))", [.outOfMemory]),
        ("local function f(s) return (s:gsub('.', f)) end return f('abc')", [.methodFailed]),
        ("local t = {} for i = 1, 100 do t[i] = i end table.sort(t, function(a, b) error('no') end)", [.methodFailed]),
        ("local t = {} for i = 1, 100 do t[i] = i end table.sort(t, function(a, b) return true end)", [.methodFailed]),
        ("local t = {} for i = 1, 1000 do t[i] = i end table.sort(t, function(a, b) while true do end end)", [.killed]),
        ("local t = setmetatable({}, {__len = function() return 2^31 - 2 end}) table.sort(t, function() return false end)", [.killed]),
        ("local a, b = {}, {} setmetatable(a, {__index = b}) setmetatable(b, {__index = a}) return a.x", [.methodFailed]),
        ("local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x", [.methodFailed, .outOfMemory]),
        ("local t = setmetatable({}, {__index = function(t, k) return '' end, __len = function() return 2^40 end}) return table.concat(t)",
         [.killed]),
        ("return table.concat({}, '', 1, 2^40)", [.methodFailed]),
        ("return table.unpack({}, 1, 2^40)", [.methodFailed]),
        ("return coroutine.wrap(function() end)()", [.methodFailed]),
        ("return load(string.rep('x = 1 ', 1e6))()", [.methodFailed]),
        ("local t = {} for i = 1, 100000 do t[i] = i end error(t)", [.methodFailed]),
    ]

    @Test(arguments: failures)
    func abuseEndsInATypedFailure(_ attack: (source: String, codes: Set<ImageError.Code>)) async throws {
        try await expectStopped(attack.source, attack.codes)
    }

    @Test func aHugeErrorMessageIsCut() async throws {
        let stopped = try await expectStopped("error(string.rep('x', 4000000))", [.methodFailed])
        #expect((stopped.error?.description.utf8.count ?? .max) < 64 * 1024)
    }

    /// Bounded library functions answer as the originals do.
    @Test func boundedFunctionsKeepTheirMeaning() async throws {
        try await withImage { image, _ in
            try await image.defineMethod("probe", on: "BRICK", source: #"""
                local t = {3, 1, 2}
                table.sort(t)
                local u = {"b", "a", "c"}
                table.sort(u, function(a, b) return a > b end)
                local moved = table.move({1, 2, 3}, 1, 3, 2)
                local list = {1, 2, 3}
                table.insert(list, 1, 0)
                table.insert(list, 4)
                local removed = table.remove(list, 2)
                local words = {}
                for w in ("one two  three"):gmatch("%a+") do words[#words + 1] = w end
                local s, n = ("hello world"):gsub("(%w+)", "<%1>")
                local f = ("x"):rep(3, ",")
                local bal = ("f(a(b)c) d"):match("%b()")
                local front = ("THE (quick) fox"):gsub("%f[%a]%a+", "W")
                return {
                  sorted = t, desc = u, moved = moved, list = list, removed = removed, words = words,
                  gsub = s, count = n, rep = f, empty = ("ab"):rep(0), none = (""):rep(1000000),
                  find = {("a.b"):find(".", 1, true)}, pattern = {("key = value"):match("(%w+)%s*=%s*(%w+)")},
                  balanced = bal, frontier = front, concat = table.concat({1, 2, 3}, "-"),
                  unpack = {table.unpack({1, 2, 3}, 2)}, bytes = {("AB"):byte(1, -1)},
                  len = utf8.len("héllo"), offset = utf8.offset("héllo", 3), points = {utf8.codepoint("hé", 1, -1)},
                  number = tonumber("0x10"), sum = "2" + 3,
                }
                """#)
            let answer = try await image.send("BRICK", "probe")
            #expect(answer["sorted"] == [1, 2, 3])
            #expect(answer["desc"] == ["c", "b", "a"])
            #expect(answer["moved"] == [1, 1, 2, 3])
            #expect(answer["list"] == [0, 2, 3, 4])
            #expect(answer["removed"] == 1)
            #expect(answer["words"] == ["one", "two", "three"])
            #expect(answer["gsub"] == "<hello> <world>")
            #expect(answer["count"] == 2)
            #expect(answer["rep"] == "x,x,x")
            #expect(answer["empty"] == "")
            #expect(answer["none"] == "")
            #expect(answer["find"] == [2, 2])
            #expect(answer["pattern"] == ["key", "value"])
            #expect(answer["balanced"] == "(a(b)c)")
            #expect(answer["frontier"] == "W (W) W")
            #expect(answer["concat"] == "1-2-3")
            #expect(answer["unpack"] == [2, 3])
            #expect(answer["bytes"] == [65, 66])
            #expect(answer["len"] == 5)
            #expect(answer["offset"] == 4)
            #expect(answer["points"] == [104, 233])
            #expect(answer["number"] == 16)
            #expect(answer["sum"] == 5)
        }
    }

    /// A script that catches the error a limit raises inside C gets no further: the hook stops
    /// it at its next instruction.
    @Test func catchingTheLimitDoesNotHelp() async throws {
        try await expectStopped("""
            self:set('touched', true)
            local ok = pcall(string.find, string.rep('a', 40), string.rep('a*', 40) .. 'b')
            return 'escaped'
            """, [.killed])
        try await expectStopped("""
            while true do pcall(table.move, {}, 1, 2^40, 1, {}) end
            """, [.killed])
    }
}
