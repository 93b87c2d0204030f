import Foundation
import Testing
@testable import LivingImage

@Suite struct GenesisTests {
    @Test func newImageHoldsTheFourPersonasWithTheirCodex() async throws {
        try await withImage { image, _ in
            let protos = image.memory.snapshot()
            #expect(Set(protos.keys) == ["Persona", "ALFRED", "BRICK", "ROBIN", "BABS", "DEBUGGER"])
            for name in ["ALFRED", "BRICK", "ROBIN", "BABS", "DEBUGGER"] {
                let proto = try #require(protos[name])
                #expect(proto.parent == "Persona")
                #expect(proto.codex["name"] == .string(name))
                #expect(proto.codex["system_prompt"]?.stringValue?.contains(name) == true)
                #expect(proto.codex["model"]?.stringValue?.isEmpty == false)
            }
            #expect(protos["BRICK"]?.codex["model"] == "phi3:mini-4k-instruct")
            #expect(protos["Persona"]?.methods["describe"] != nil)
            #expect(protos["Persona"]?.methods["doesNotUnderstand"] != nil)
            let history = try image.history(limit: 100)
            #expect(history.count == 6)
            #expect(history.allSatisfy { $0.author == .genesis })
        }
    }

    @Test func describeAnswersTheSelfDescription() async throws {
        try await withImage { image, _ in
            let answer = try await image.send("BRICK", "describe")
            #expect(answer["name"] == "BRICK")
            #expect(answer["parent"] == "Persona")
            #expect(answer["codex"]?["role"]?.stringValue?.contains("Logical") == true)
            #expect(answer["methods"]?["countdown"]?["doc"]?.stringValue?.hasPrefix("Counts down") == true)
            #expect(answer["inheritedMethods"]?["describe"]?["from"] == "Persona")
            #expect(answer == (try image.describe("BRICK")))
        }
    }

    @Test func unknownSelectorIsAnsweredByDoesNotUnderstand() async throws {
        try await withImage { image, _ in
            let events = image.events.subscribe()
            let answer = try await image.send("ROBIN", "someSelector", ["json": "args"])
            #expect(answer["status"] == "not understood")
            #expect(answer["selector"] == "someSelector")
            #expect(answer["receiver"] == "ROBIN")
            #expect(answer["args"] == ["json": "args"])
            let read = await readEvents(events, "a notUnderstood event") { event in
                if case .notUnderstood = event { return true }
                return false
            }
            guard case .notUnderstood(let proto, let selector)? = read.last else { return }
            #expect(proto == "ROBIN" && selector == "someSelector")
        }
    }

    @Test func genesisPersonaMethodsWork() async throws {
        try await withImage { image, _ in
            let review = try await image.send("ALFRED", "review", ["proto": "BRICK", "selector": "x", "source": "return os.execute('ls')", "author": "forge"])
            #expect(review["approved"] == false)
            #expect(review["violations"]?.arrayValue?.first?.stringValue?.contains("os.execute") == true)
            let ok = try await image.send("ALFRED", "review", ["proto": "BRICK", "selector": "x", "source": "return 1", "author": "forge"])
            #expect(ok["approved"] == true)
            let weighed = try await image.send("ROBIN", "weighThoughts", ["thoughts": [
                ["text": "a", "viability": 0.2, "alignment": 0.4],
                ["text": "b", "viability": 0.9, "alignment": 0.8],
            ]])
            #expect(weighed["best"]?["text"] == "b")
            #expect(try image.slot("evaluations", of: "ROBIN") == .integer(1))
        }
    }
}
