@testable import Inference
import NIOCore
import Testing

@Suite("JSON, schema validation, framing")
struct JSONTests {
    @Test func parserHandlesTheGrammar() throws {
        let value = try JSONParser.parse(#" {"a": [1, -2.5, 3e2, true, false, null], "s": "q\"\\\/\n\u00e9\ud83d\ude00", "e": {}} "#)
        #expect(value["a"] == [1, -2.5, 300, true, false, nil])
        #expect(value["s"] == .string("q\"\\/\né😀"))
        #expect(value["e"] == .object([:]))
        #expect(try JSONParser.parse(value.jsonText) == value)
        for bad in ["{", "[1,]", "{\"a\" 1}", "01", "\"\\x\"", "tru", "1 2", "\"\u{01}\""] {
            #expect(throws: JSONParser.Failure.self, "\(bad)") { try JSONParser.parse(bad) }
        }
    }

    @Test func serializerEscapesAndSortsKeys() {
        let value: JSONValue = ["b": "line\nbreak \"quoted\"", "a": 1.5, "c": [nil, 3]]
        #expect(value.jsonText == #"{"a":1.5,"b":"line\nbreak \"quoted\"","c":[null,3]}"#)
    }

    @Test func schemaValidatorReportsEachViolation() {
        let schema: JSONValue = [
            "type": "object",
            "required": ["verdict", "score"],
            "properties": [
                "verdict": ["type": "string", "enum": ["accept", "reject"]],
                "score": ["type": "number", "minimum": 0, "maximum": 1],
                "reasons": ["type": "array", "items": ["type": "string"]],
                "count": ["type": "integer"],
            ],
        ]
        let validator = JSONSchemaValidator(schema: schema)
        #expect(validator.validate(["verdict": "accept", "score": 0.5, "reasons": ["x"], "count": 2]).isEmpty)
        let violations = validator.validate(["verdict": "maybe", "score": 1.5, "reasons": ["x", 3], "count": 2.5])
        let paths = Set(violations.map(\.path))
        #expect(paths == ["$.verdict", "$.score", "$.reasons[1]", "$.count"])
        #expect(validator.validate(["score": 0.1]).map(\.message) == ["missing required property \"verdict\""])
        #expect(validator.validate("text").first?.message == "expected object, got string")
    }

    @Test func linesSplitAcrossBuffersAreReassembled() {
        var splitter = LineSplitter()
        var lines: [String] = []
        let collect: (UnsafeRawBufferPointer) -> Bool = { lines.append(String(decoding: $0, as: UTF8.self)); return true }
        for piece in ["{\"a\":", "1}\n{\"b\"", ":2}\r\n\n{\"c\":3}\n{\"d\"", ":4}"] {
            _ = splitter.feed(ByteBuffer(string: piece), collect)
        }
        splitter.finish(collect)
        #expect(lines == ["{\"a\":1}", "{\"b\":2}", "", "{\"c\":3}", "{\"d\":4}"])
    }

    @Test func sseEventsSkipCommentsAndJoinDataLines() {
        var framer = MessageFramer(framing: .sse)
        var messages: [String] = []
        let collect: (UnsafeRawBufferPointer) -> Bool = { messages.append(String(decoding: $0, as: UTF8.self)); return true }
        for line in [": ping", "event: message", "data: {\"x\":1}", "", "data:{\"y\":", "data: 2}", "", "data: [DONE]"] {
            var bytes = Array(line.utf8)
            _ = bytes.withUnsafeMutableBytes { framer.line(UnsafeRawBufferPointer($0), collect) }
        }
        framer.finish(collect)
        #expect(messages == ["{\"x\":1}", "{\"y\":\n2}", "[DONE]"])
    }

    @Test func residencySimulationCountsTheDeliberation() {
        let gb: Int64 = 1_000_000_000
        let sizes = ["babs": 45 * gb / 10, "brick": 25 * gb / 10, "robin": 5 * gb, "alfred": 55 * gb / 10]
        let sequence = ["babs", "brick", "robin", "brick", "robin", "brick", "alfred"]
        #expect(ResidencySimulation.sequentialLoads(sequence) == 7)
        #expect(ResidencySimulation.lruLoads(sequence, sizes: sizes, budget: 8 * gb) == 4)
        #expect(ResidencySimulation.beladyLoads(sequence, sizes: sizes, budget: 8 * gb) == 4)
        #expect(ResidencySimulation.optimalLoads(sequence, sizes: sizes, budget: 8 * gb) == 4)
        // A cycle larger than the budget: LRU thrashes, the optimum keeps BRICK.
        let cycle = ["robin", "brick", "alfred", "robin", "brick", "alfred"]
        #expect(ResidencySimulation.lruLoads(cycle, sizes: sizes, budget: 8 * gb) == 6)
        #expect(ResidencySimulation.optimalLoads(cycle, sizes: sizes, budget: 8 * gb) == 5)
        // The budget policy spares BRICK when evicting ALFRED alone makes room.
        #expect(ResidencySimulation.budgetPolicyLoads(cycle, sizes: sizes, budget: 8 * gb) == 5)
        #expect(ResidencySimulation.budgetPolicyLoads(sequence, sizes: sizes, budget: 8 * gb) == 4)
    }
}
