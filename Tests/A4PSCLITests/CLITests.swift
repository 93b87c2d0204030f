import Foundation
import LivingImage
import Testing

/// The `a4ps` command line, run as a real process on a real image file.
@Suite struct CLITests {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-cli-\(UUID().uuidString)")

    init() throws { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }

    @discardableResult
    func a4ps(_ args: String..., stdin: String? = nil, expect status: Int32 = 0,
              sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let result = try await CLIProcess.run(args, in: dir, stdin: stdin)
        #expect(result.status == status, "a4ps \(args.joined(separator: " ")): \(result.stderr)", sourceLocation: sourceLocation)
        return status == 0 ? result.stdout : result.stderr
    }

    @Test func theArchitectsDayWithTheImage() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try await a4ps("image", "init").contains("6 protos: ALFRED, BABS, BRICK, DEBUGGER, Persona, ROBIN"))
        #expect(try await a4ps("image", "init", expect: 64).contains("already exists"))
        let inspect = try await a4ps("inspect", "BRICK")
        #expect(inspect.contains("parent: Persona"))
        #expect(inspect.contains("phi3:mini-4k-instruct"))
        #expect(inspect.contains("countdown  (v1)"))

        let described = try JSONValue(parsing: try await a4ps("send", "BRICK", "describe"))
        #expect(described["name"] == "BRICK")
        let notUnderstood = try JSONValue(parsing: try await a4ps("send", "ROBIN", "someSelector", #"{"json":"args"}"#))
        #expect(notUnderstood["status"] == "not understood")
        #expect(notUnderstood["args"] == ["json": "args"])

        try "-- Doubles n.\nreturn args.n * 2\n".write(to: dir.appendingPathComponent("double.lua"), atomically: true, encoding: .utf8)
        #expect(try await a4ps("method", "define", "BRICK", "double", "--file", "double.lua").contains("installed BRICK>>double v1"))
        #expect(try await a4ps("send", "BRICK", "double", #"{"n": 21}"#).trimmingCharacters(in: .whitespacesAndNewlines) == "42")
        let shown = try await a4ps("method", "show", "BRICK", "double")
        #expect(shown.contains("return args.n * 2"))
        #expect(shown.contains("by architect"))

        #expect(try await a4ps("slot", "set", "BRICK", "mood", #""cheerful""#).contains("set BRICK.mood"))
        #expect(try await a4ps("slot", "get", "BRICK", "mood").contains("\"cheerful\""))

        let history = try JSONValue(parsing: try await a4ps("image", "history", "BRICK", "--json"))
        let changes = try #require(history.arrayValue)
        #expect(changes.map { $0["author"] } == ["genesis", "architect", "architect"])
        let defineChange = try #require(changes[1]["id"]?.doubleValue)

        #expect(try await a4ps("image", "rollback", "BRICK", "--to", "\(Int(defineChange))").contains("rollback"))
        #expect(try await a4ps("slot", "get", "BRICK", "mood", expect: 1).contains("no slot 'mood'"))
        #expect(try await a4ps("send", "BRICK", "double", #"{"n": 2}"#).contains("4"))

        #expect(try await a4ps("image", "export", "copy.image").contains("exported"))
        #expect(try await a4ps("send", "--image", "copy.image", "BRICK", "double", #"{"n": 5}"#).contains("10"))
    }

    @Test func redefiningAFailingMethodClosesItsDebugSession() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try await a4ps("method", "define", "BABS", "count", "--source", "return #args.items")
        // Every failure of the unchanged method is the same session.
        try await a4ps("send", "BABS", "count", "{}", expect: 1)
        try await a4ps("send", "BABS", "count", "{}", expect: 1)
        let open = try await a4ps("debug", "list")
        #expect(open.contains("#1  open  BABS>>count"), "\(open)")
        #expect(!open.contains("#2"))
        let defined = try await a4ps("method", "define", "BABS", "count", "--source", "return #(args.items or {})")
        #expect(defined.contains("closed debug session 1: the method it was opened for is redefined"))
        #expect(try await a4ps("debug", "list").contains("#1  closed  BABS>>count"))
        #expect(try await a4ps("debug", "retry", "1").contains("0"))
    }

    @Test func badInputGetsAClearErrorAndChangesNothing() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try await a4ps("image", "init")
        let before = try await a4ps("image", "history", "--json")
        #expect(try await a4ps("send", "BRICK", "x", "{not json", expect: 64).contains("must be JSON"))
        #expect(try await a4ps("method", "define", "BRICK", "bad", "--source", "return (", expect: 1).contains("does not compile"))
        #expect(try await a4ps("method", "define", "BRICK", "spin", "--source", "while true do end").contains("installed"))
        let killed = try await a4ps("send", "BRICK", "spin", "--instructions", "1000000", expect: 1)
        #expect(killed.contains("budget of 1000000 instructions"))
        #expect(try await a4ps("send", "", "describe", expect: 1).contains("invalid proto name"))
        #expect(try await a4ps("send", "NOBODY", "describe", expect: 1).contains("no proto named 'NOBODY'"))
        let after = try JSONValue(parsing: try await a4ps("image", "history", "--json"))
        #expect(after.arrayValue?.count == (try JSONValue(parsing: before)).arrayValue!.count + 1)

        let notes = dir.appendingPathComponent("notes.txt")
        try "not an image".write(to: notes, atomically: true, encoding: .utf8)
        #expect(try await a4ps("inspect", "--image", "notes.txt", expect: 1).contains("not an a4ps image"))
        #expect(try String(contentsOf: notes, encoding: .utf8) == "not an image")
    }

    @Test func batchAnswersEachCommandAfterItIsCommitted() async throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let output = try await a4ps("batch", stdin: """
            {"id": 1, "op": "define", "proto": "BABS", "selector": "hello", "source": "self:set('greeted', true) return 'hi ' .. args"}
            {"id": 2, "op": "send", "proto": "BABS", "selector": "hello", "args": "Architect"}
            {"id": 3, "op": "get", "proto": "BABS", "slot": "greeted"}
            {"id": 4, "op": "explode"}
            not json
            """)
        let lines = output.split(separator: "\n").map { try! JSONValue(parsing: String($0)) }
        #expect(lines.count == 5)
        #expect(lines[0]["ok"] == true)
        #expect(lines[1]["answer"] == "hi Architect")
        #expect(lines[2]["value"] == true)
        #expect(lines[3]["ok"] == false)
        #expect(lines[4]["ok"] == false)
    }
}
