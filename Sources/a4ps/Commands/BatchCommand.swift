import ArgumentParser
import Foundation
import LivingImage

/// `a4ps batch`: one JSON command per line on standard input, one JSON result per line on
/// standard output — printed only after the change is committed to the image file.
///
/// Commands: `{"op":"define","proto":P,"selector":S,"source":LUA}`, `{"op":"set","proto":P,
/// "slot":S,"value":V}`, `{"op":"get","proto":P,"slot":S}`, `{"op":"send","proto":P,
/// "selector":S,"args":V}`. An optional `"id"` is echoed back.
struct BatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Run JSON commands from standard input, one per line; print one JSON result per committed command."
    )
    @OptionGroup var options: ImageOptions

    func run() async throws {
        try await options.withRuntime { runtime in try await run(on: runtime.image) }
    }

    private func run(on image: Image) async throws {
        for await line in StandardInputLines.stream() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            var result: [String: JSONValue]
            let command = try? JSONValue(parsing: line)
            do {
                guard let command else { throw ValidationError("not a JSON command: \(line.prefix(80))") }
                result = try await perform(command, on: image)
                result["ok"] = true
            } catch {
                result = ["ok": false, "error": .string("\(error)")]
            }
            if let id = command?["id"] { result["id"] = id }
            emitLine(JSONValue.object(result).jsonText)
        }
    }

    private func perform(_ command: JSONValue, on image: Image) async throws -> [String: JSONValue] {
        func field(_ name: String) throws -> String {
            guard let value = command[name]?.stringValue else { throw ValidationError("the command needs a string \"\(name)\"") }
            return value
        }
        switch try field("op") {
        case "define":
            let record = try await image.defineMethod(try field("selector"), on: try field("proto"), source: try field("source"))
            return ["change": record.map { .integer($0.id) } ?? .null]
        case "set":
            let record = try await image.setSlot(try field("slot"), of: try field("proto"), to: command["value"] ?? .null)
            return ["change": record.map { .integer($0.id) } ?? .null]
        case "get":
            return ["value": try image.slot(try field("slot"), of: try field("proto")) ?? .null]
        case "send":
            return ["answer": try await image.send(try field("proto"), try field("selector"), command["args"] ?? .null)]
        case let op:
            throw ValidationError("unknown op \"\(op)\" (define, set, get, send)")
        }
    }
}

/// Lines of standard input, read on a thread of their own so no async worker blocks.
enum StandardInputLines {
    static func stream() -> AsyncStream<String> {
        AsyncStream { continuation in
            let thread = Thread {
                while let line = readLine(strippingNewline: true) { continuation.yield(line) }
                continuation.finish()
            }
            thread.start()
        }
    }
}
