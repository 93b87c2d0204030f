@testable import A4PS
import Foundation
import LivingImage
import ScriptedModelServer
import Testing

/// A trial — the forge's or the debugger's verification on a clone — has no effect outside its
/// clone: its events and memories are discarded, it cannot forge, the forge budget does not
/// move, and Python runs (in the sandbox, which keeps nothing) the clone's own tools.
@Suite struct TrialPurityTests {
    @Test func aTrialsEventsLogsAndMemoriesAreDiscarded() async throws {
        try await withRuntime { runtime, server in
            let events = runtime.image.events.subscribe()
            var clone = try #require(runtime.image.memory.proto(named: "BABS")).clone()
            clone.define("probe", source: """
                emit("trial.effect", {x = 1})
                log("from a trial")
                return memory.add("a memory made in a trial")
                """)
            #expect(try await runtime.image.trial(clone, "BABS", "probe") == 0)
            #expect(try await runtime.scrapbook.count() == 0)
            #expect(try await server.requests().filter { $0.path.contains("embed") }.isEmpty)

            // Everything published before the marker has been read once the marker is.
            try await runtime.image.defineMethod("marker", on: "BABS", source: "emit('marker', {}) return 1")
            _ = try await runtime.image.send("BABS", "marker")
            let read = await readEvents(events, "the marker event") { event in
                if case .emitted(_, "marker", _) = event { return true }
                return false
            }
            let leaked = read.filter { event in
                switch event {
                case .emitted(_, "trial.effect", _), .logged: true
                default: false
                }
            }
            #expect(leaked.isEmpty, "\(leaked)")
        }
    }

    @Test func aTrialCannotForgeThroughDoesNotUnderstand() async throws {
        let brick = Script(rules: [.init(model: "phi3:mini-4k-instruct", replies: [ToolForgeTests.right])])
        try await withRuntime(brick) { runtime, server in
            let alfred = runtime.image.memory.proto(named: "ALFRED")
            var clone = try #require(runtime.image.memory.proto(named: "BRICK")).clone()
            clone.define("probe", source: "return self:send('double', {n = 2})")
            let answer = try await runtime.image.trial(clone, "BRICK", "probe")
            #expect(answer["status"] == "not understood")
            #expect(answer["forge"]?.stringValue?.contains("forge is not available in a trial") == true, "\(answer)")
            #expect(runtime.image.memory.proto(named: "BRICK")?.methods["double"] == nil)
            // ALFRED approved the forge inside the trial, but no forge started: the governor's budget did not move.
            #expect(runtime.image.memory.proto(named: "ALFRED") == alfred)
            #expect(try runtime.image.forgesStarted() == 0)
            #expect(try await chatRequests(server).isEmpty)

            // Outside a trial the same message is forged, and the governor's budget counts it.
            #expect(try await runtime.image.send("BRICK", "double", ["n": 2]) == 4)
            #expect(try runtime.image.forgesStarted() == 1)
        }
    }

    @Test func aTrialRunsTheClonesPythonTools() async throws {
        try await withRuntime { runtime, _ in
            let image = runtime.image
            try await installAsForged("python_tools", of: "BABS", ["version": ["source": "def run(args):\n    return 1"]], in: image)
            try await image.defineMethod("version", on: "BABS", source: PythonTools.bridgeMethod(proto: "BABS", selector: "version"))
            var clone = try #require(image.memory.proto(named: "BABS")).clone()
            clone.slots["python_tools"] = ["version": ["source": "def run(args):\n    return 2"]]
            #expect(try await image.trial(clone, "BABS", "version") == 2)
            #expect(try await image.send("BABS", "version") == 1)

            // Inherited from a parent that the trial's clone stands in for: still the clone's tool.
            try await installAsForged("python_tools", of: "Persona", ["inherited": ["source": "def run(args):\n    return 'live'"]], in: image)
            try await image.defineMethod("inherited", on: "Persona", source: PythonTools.bridgeMethod(proto: "Persona", selector: "inherited"))
            var parent = try #require(image.memory.proto(named: "Persona")).clone()
            parent.slots["python_tools"] = ["inherited": ["source": "def run(args):\n    return 'clone'"]]
            #expect(try await image.trial(parent, "ROBIN", "inherited") == "clone")
            #expect(try await image.send("ROBIN", "inherited") == "live")
        }
    }
}
