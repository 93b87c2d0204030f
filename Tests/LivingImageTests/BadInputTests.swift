import Foundation
import Testing
@testable import LivingImage

/// Untrusted method code: every case ends in a clean error, the process stays up and the
/// image is unchanged.
@Suite struct BadInputTests {
    /// Installs `source` as BRICK>>probe, sends it, and checks the send fails with `code`
    /// and leaves the image exactly as it was.
    @discardableResult
    func expectContained(_ source: String, _ code: ImageError.Code, args: JSONValue = .null, limits: RunLimits? = nil,
                         sourceLocation: SourceLocation = #_sourceLocation) async throws -> ImageError? {
        try await withImage { image, _ in
            try await image.defineMethod("probe", on: "BRICK", source: source)
            let before = try ImageFingerprint(image)
            let error = await expectImageError(code, sourceLocation: sourceLocation) {
                try await image.send("BRICK", "probe", args, limits: limits)
            }
            #expect(try ImageFingerprint(image) == before, sourceLocation: sourceLocation)
            // The VM is still usable afterwards.
            #expect(try await image.send("BRICK", "countdown", ["n": 2]) == [2, 1, 0], sourceLocation: sourceLocation)
            return error
        }
    }

    @Test func codeThatDoesNotCompileIsNeverInstalled() async throws {
        try await withImage { image, _ in
            let before = try ImageFingerprint(image)
            for source in ["return (", "end", "x = = 1", "return 1 end; os.execute('true'); function f()", "--[[ unterminated"] {
                let error = await expectImageError(.compileFailed) {
                    try await image.defineMethod("broken", on: "BRICK", source: source)
                }
                #expect(error?.description.contains("does not compile") == true)
            }
            #expect(try ImageFingerprint(image) == before)
        }
    }

    @Test func binaryChunksAreRefused() async throws {
        try await withImage { image, _ in
            let bytecode = "\u{1B}Lua\u{54}\u{00}\u{19}\u{93}\r\n\u{1A}\n\u{04}\u{08}\u{08}"
            await expectImageError(.compileFailed) { try await image.defineMethod("bin", on: "BRICK", source: bytecode) }
        }
        try await withImage { image, _ in
            try await image.defineMethod("probe", on: "BRICK", source: "return {load = load == nil, dump = string.dump == nil}")
            #expect(try await image.send("BRICK", "probe") == ["load": true, "dump": true])
        }
        let error = try await expectContained("return load('return 1')()", .methodFailed)
        #expect(error?.description.contains("nil") == true)
        try await expectContained("return string.dump(function() end)", .methodFailed)
    }

    @Test func raisingIsAReportedFailure() async throws {
        let error = try await expectContained("local t = nil\nreturn t.field", .methodFailed)
        #expect(error?.description.contains("BRICK>>probe:2") == true)
        #expect(error?.traceback?.contains("stack traceback") == true)
        try await expectContained("error({code = 42})", .methodFailed)
        // The host reports an error object without calling its __tostring (which here never returns).
        let object = try await expectContained("error(setmetatable({}, {__tostring = function() while true do end end}))", .methodFailed)
        #expect(object?.description.contains("an error object of type table") == true)
    }

    @Test func aLoopingToStringIsKilledWhenTheMethodInvokesIt() async throws {
        // The method writes a slot first: the kill must discard it with everything else.
        let bomb = """
            self:set('touched', true)
            local bomb = setmetatable({}, {__tostring = function() while true do end end})

            """
        for use in ["return tostring(bomb)", "return 'value: ' .. tostring(bomb)", "return string.format('%s', bomb)",
                    "log('value:', bomb)", "local ok = pcall(tostring, bomb) return 'escaped'"] {
            let error = try await expectContained(bomb + use, .killed)
            #expect(error?.description.contains("budget of \(testLimits.instructions) instructions") == true, "\(use)")
        }
        // With instructions to spare, the wall-clock limit stops it instead.
        var timed = testLimits
        timed.instructions = .max
        timed.wallClockSeconds = 1
        let error = try await expectContained(bomb + "return tostring(bomb)", .killed, limits: timed)
        #expect(error?.description.contains("deadline of 1.0 s") == true)
    }

    @Test func endlessLoopsAreKilledEvenInsidePcall() async throws {
        try await expectContained("while true do end", .killed)
        try await expectContained("while true do pcall(function() while true do end end) end", .killed)
        try await expectContained("local ok = pcall(function() while true do end end) return 'escaped'", .killed)
        try await expectContained("""
            local t = {}
            for i = 1, 100 do t[i] = i end
            while true do pcall(table.sort, t, function(a, b) while true do end end) end
            """, .killed)
        try await expectContained("while true do xpcall(function() while true do end end, function(m) while true do end end) end", .killed)
    }

    @Test func memoryBombsRunOutOfMemory() async throws {
        try await expectContained("return string.rep('x', 1e9)", .outOfMemory)
        try await expectContained("return ('x'):rep(1e8, ',')", .outOfMemory)
        try await expectContained("local t = {} local i = 0 while true do i = i + 1 t[i] = {i, i, i} end", .outOfMemory)
        try await expectContained("local s = 'x' while true do s = s .. s end", .outOfMemory)
        // A pcall'd allocation failure is an ordinary error the method may handle; it cannot exceed the cap.
        try await withImage { image, _ in
            try await image.defineMethod("careful", on: "BRICK", source: "local ok, err = pcall(string.rep, 'x', 1e9) return {ok = ok, err = err}")
            let answer = try await image.send("BRICK", "careful")
            #expect(answer["ok"] == false)
            #expect(answer["err"] == "not enough memory")
        }
    }

    @Test func endlessRecursionIsStopped() async throws {
        // Depending on the memory cap, Lua's stack overflow or the cap stops it first.
        try await withImage { image, _ in
            try await image.defineMethod("probe", on: "BRICK", source: "local function f() return 1 + f() end return f()")
            let before = try ImageFingerprint(image)
            do {
                _ = try await image.send("BRICK", "probe")
                Issue.record("endless recursion returned")
            } catch let error as ImageError {
                #expect(error.code == .outOfMemory || (error.code == .methodFailed && error.description.contains("stack overflow")))
            }
            #expect(try ImageFingerprint(image) == before)
        }
        try await expectContained("local function f() return f() end return f()", .killed)
        try await expectContained("return self:send('probe')", .sendDepthExceeded)
        try await expectContained("return send('BRICK', 'probe', {})", .sendDepthExceeded)
    }

    @Test func dangerousLibrariesAreAbsent() async throws {
        for call in ["os.execute('touch /tmp/a4ps-escaped')", "io.open('/etc/passwd')", "require('os')", "dofile('/etc/passwd')",
                     "loadfile('/etc/passwd')", "debug.getinfo(1)", "package.loadlib('libc.so.6', 'system')", "os.exit(1)",
                     "os.remove('/tmp/x')", "os.getenv('HOME')", "collectgarbage('stop')", "coroutine.create(print)", "print('x')"] {
            try await expectContained("return \(call)", .methodFailed)
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/a4ps-escaped"))
    }

    @Test func sharedTablesCannotBeReachedOrChanged() async throws {
        try await withImage { image, _ in
            try await image.defineMethod("peek", on: "BRICK", source: """
                return {
                  mt = type(getmetatable('')),
                  envmt = type(getmetatable(_ENV)),
                  selfmt = type(getmetatable(self)),
                  upper = ('abc'):upper(),
                }
                """)
            #expect(try await image.send("BRICK", "peek") == ["mt": "boolean", "envmt": "boolean", "selfmt": "boolean", "upper": "ABC"])
        }
        try await expectContained("getmetatable('').__index = {}", .methodFailed)
        try await expectContained("string.upper = nil", .methodFailed)
        try await expectContained("rawset(string, 'upper', nil)", .methodFailed)
        try await expectContained("setmetatable(string, {})", .methodFailed)
        try await expectContained("rawset(self, 'name', 'ALFRED')", .methodFailed)
        try await expectContained("self.name = 'ALFRED'", .methodFailed)
        try await expectContained("setmetatable({}, {__gc = function() end})", .methodFailed)
        // Globals a method sets are its own: the next send does not see them.
        try await withImage { image, _ in
            try await image.defineMethod("leak", on: "BRICK", source: "local before = secret secret = 'x' return before or 'clean'")
            #expect(try await image.send("BRICK", "leak") == "clean")
            #expect(try await image.send("BRICK", "leak") == "clean")
        }
    }

    @Test func slotValuesMustBeJSON() async throws {
        try await expectContained("self:set('f', function() end)", .methodFailed)
        try await expectContained("self:set('n', 0/0)", .methodFailed)
        try await expectContained("self:set('bytes', '\\xff\\xfe')", .methodFailed)
        try await expectContained("local t = {} t.me = t self:set('cycle', t)", .methodFailed)
        try await expectContained("self:set('mixed', {1, 2, x = 3})", .methodFailed)
        try await expectContained("return function() end", .invalidValue)
        try await expectContained("self:set('big', string.rep('x', 5 * 1024 * 1024))", .methodFailed)
    }

    @Test func badNamesAreRefused() async throws {
        try await withImage { image, _ in
            let before = try ImageFingerprint(image)
            for name in ["", String(repeating: "x", count: 5000), "has space", "semi;colon", "\u{FFFD}", "1abc"] {
                await expectImageError(.invalidName) { try await image.send(name, "describe") }
                await expectImageError(.invalidName) { try await image.send("BRICK", name) }
                await expectImageError(.invalidName) { try await image.defineMethod(name, on: "BRICK", source: "return 1") }
                await expectImageError(.invalidName) { try await image.setSlot(name, of: "BRICK", to: 1) }
            }
            await expectImageError(.noSuchProto) { try await image.send("NOBODY", "describe") }
            #expect(try ImageFingerprint(image) == before)
        }
        try await expectContained("return send('\\xff\\xfe', 'x')", .methodFailed)
        try await expectContained("return self:send('\\xff')", .methodFailed)
        try await expectContained("return self:get(string.rep('x', 1000))", .methodFailed)
        try await expectContained("return send('', 'describe')", .methodFailed)
    }
}
