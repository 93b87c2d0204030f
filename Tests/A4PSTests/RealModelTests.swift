import A4PS
import Foundation
import Inference
import LivingImage
import Synchronization
import Testing

/// The embedded mind for real: llama.cpp's server with SmolLM2-135M-Instruct and all-MiniLM-L6-v2
/// on the CPU, installed by Scripts/install-local-model (Scripts/test installs it first). These
/// tests assert structure and mechanics, never a model's wording.
@Suite(.serialized) struct RealModelTests {
    static let atlasTask = "Design an onboarding protocol for new volunteers of the Community Resource Atlas, "
        + "a map of free local resources (food banks, clinics, shelters) kept up to date by volunteers."

    /// A runtime whose every role is on the embedded model, in a temporary directory.
    func withEmbeddedRuntime(configure: (inout A4PSConfig) -> Void = { _ in }, _ body: (Runtime) async throws -> Void) async throws {
        let install = LocalModelInstall.locate()
        try #require(install.isComplete,
                     "the embedded model is not installed (missing: \(install.missing.joined(separator: ", "))): run Scripts/install-local-model")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-real-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = A4PSConfig(environment: [:]).onEmbeddedModel()
        config.choosesModelServers = true
        configure(&config)
        let limits = RunLimits(memoryBytes: 64 << 20, instructions: 200_000_000, wallClockSeconds: 600)
        let runtime = try await Runtime.open(imagePath: dir.appendingPathComponent("real.image").path, config: config, limits: limits)
        do {
            try await body(runtime)
        } catch {
            await runtime.shutdown()
            throw error
        }
        await runtime.shutdown()
    }

    @Test func thinkStreamsRealTokensFromTheEmbeddedModel() async throws {
        try await withEmbeddedRuntime { runtime in
            let proto = try #require(runtime.image.memory.proto(named: "BRICK"))
            let binding = PersonaPrimitives.binding(for: proto, models: runtime.models)
            #expect(binding.systemPrompt?.isEmpty == false)
            var deltas = 0
            var finished: ThinkResult?
            for try await update in runtime.models.stream(
                binding, messages: [.user("In one sentence: why survey a river before building a bridge?")],
                options: ThinkOptions(generation: GenerationOptions(maxTokens: 48, repeatPenalty: 1.15))) {
                switch update {
                case .delta: deltas += 1
                case .finished(let result): finished = result
                }
            }
            let result = try #require(finished)
            #expect(deltas > 1, "the answer came in \(deltas) piece(s), not streamed")
            #expect(result.model == LocalModelInstall.chatModel)
            #expect(!result.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
            #expect((result.usage?.completionTokens ?? 0) > 0 && (result.usage?.completionTokens ?? 0) <= 48)
            let pid = try #require(await runtime.models.embeddedServer?.processIdentifier)
            #expect(kill(pid, 0) == 0)
        }
    }

    @Test func embeddingsPlaceSimilarSentencesCloser() async throws {
        try await withEmbeddedRuntime { runtime in
            let pairs: [(String, String, String)] = [
                ("The cat sits on the mat.", "A kitten rests on a rug.", "Quarterly tax filings are due in April."),
                ("The food bank opens at nine.", "Free groceries are handed out from 9 am.", "The violin needs new strings."),
                ("Volunteers update the clinic list.", "Helpers keep the list of clinics current.", "Jupiter has many moons."),
            ]
            for (anchor, similar, unrelated) in pairs {
                let v = try await runtime.models.embed([anchor, similar, unrelated])
                #expect(v.count == 3 && v[0].count == 384)
                #expect(cosine(v[0], v[1]) > cosine(v[0], v[2]), "\(anchor) | \(similar) | \(unrelated)")
            }
            // A text far beyond the embedding model's 512-token context is embedded, passage by passage.
            let long = String(repeating: "Volunteers keep the atlas of free local resources up to date every week. ", count: 120)
            let vectors = try await runtime.models.embed([long])
            #expect(vectors.count == 1 && vectors[0].count == 384)
        }
    }

    @Test func aWholeDeliberationFinishesOnTheRealModel() async throws {
        try await withEmbeddedRuntime { runtime in
            let events = runtime.models.events()
            let collected = Task {
                var consulted: Set<String> = []
                var retries = 0
                var failures: [String] = []
                for await event in events {
                    switch event {
                    case .callStarted(let persona, _, _, _): consulted.insert(persona)
                    case .schemaRetry: retries += 1
                    case .callFailed(_, _, _, let message): failures.append(message)
                    default: break
                    }
                }
                return (consulted, retries, failures)
            }
            let run = try await runtime.runner.start(
                graph: "ALFRED.deliberation",
                state: ["task": .string(Self.atlasTask), "max_turns": 2, "dissonance_threshold": 0.8])
            #expect(run.status == .done, "the run ended \(run.status): \(run.error ?? "")")
            let history = try await runtime.runner.history(run.id)
            let state = try #require(history.last?.state)
            let nodes = history.compactMap(\.node)
            for node in ["receive", "research", "propose", "evaluate", "measure", "synthesize", "remember"] {
                #expect(nodes.contains { $0.localizedCaseInsensitiveContains(node) }, "no checkpoint for \(node) in \(nodes)")
            }
            let answer = try #require(state["answer"]?.stringValue)
            #expect(answer.split(separator: " ").count >= 3, "ALFRED's answer: \(answer)")
            #expect(answer.unicodeScalars.filter { $0.properties.isAlphabetic }.count > answer.count / 2)
            let dissonance = try #require(state["dissonance"]?.doubleValue)
            #expect((0...1).contains(dissonance))
            #expect(try await runtime.scrapbook.count() >= 1)
            // ALFRED's Oracle judged it on the real model, every criterion within the rubric's scale.
            let score = try #require(try await runtime.runner.scores(run.id).last, "the Oracle did not score the run")
            #expect((1...5).contains(score.overall))
            #expect(score.scores.objectValue?.count == 4)

            runtime.models.finishEvents()
            let (consulted, retries, failures) = await collected.value
            #expect(consulted.isSuperset(of: ["brick", "robin", "alfred"]), "consulted: \(consulted)")
            #expect(failures.isEmpty, "failed calls: \(failures)")
            print("real deliberation: \(nodes.count) checkpoints, \(retries) schema retries, consulted \(consulted.sorted())")
        }
    }

    @Test func theSchedulerLoadsAndUnloadsModelsOnTheRouter() async throws {
        try await withEmbeddedRuntime(configure: { $0.scheduler.policy = .sequential }) { runtime in
            _ = try await runtime.models.embed(["one model at a time"])
            let shell = try #require(await runtime.models.embeddedServer?.processIdentifier)
            let router = try #require(children(of: shell).first)
            // Sequential: the embedding model was unloaded when its call ended — its process is gone.
            try await waitUntil(timeout: .seconds(60), "the router has no model process") { children(of: router).isEmpty }
            let proto = try #require(runtime.image.memory.proto(named: "ALFRED"))
            let binding = PersonaPrimitives.binding(for: proto, models: runtime.models)
            _ = try await runtime.models.think(binding, prompt: "Say hello.", options: ThinkOptions(generation: GenerationOptions(maxTokens: 8)))
            try await waitUntil(timeout: .seconds(60), "the chat model was unloaded after its call") { children(of: router).isEmpty }
            let metrics = await runtime.models.metrics()
            #expect(metrics.perModel[LocalModelInstall.embeddingModel]?.loads == 1)
            #expect(metrics.perModel[LocalModelInstall.chatModel]?.loads == 1)
            #expect(metrics.unloads == 2)
            #expect((metrics.perModel[LocalModelInstall.chatModel]?.bytes ?? 0) > 50_000_000, "the chat model's size is its file's")
        }
    }

    @Test func aKilledServerIsATypedErrorAndIsRestarted() async throws {
        try await withEmbeddedRuntime { runtime in
            let server = try #require(runtime.models.embeddedServer)
            _ = try await runtime.models.embed(["wake the server"])
            let first = try #require(await server.processIdentifier)
            let proto = try #require(runtime.image.memory.proto(named: "ROBIN"))
            let binding = PersonaPrimitives.binding(for: proto, models: runtime.models)
            var caught: (any Error)?
            var pieces = 0
            do {
                for try await update in runtime.models.stream(
                    binding, messages: [.user("Write a long story about a river, at least three hundred words.")],
                    options: ThinkOptions(generation: GenerationOptions(maxTokens: 400))) {
                    if case .delta = update {
                        pieces += 1
                        if pieces == 3 { killRouter(first) }
                    }
                }
            } catch {
                caught = error
            }
            let error = try #require(caught as? InferenceError, "killing the server mid-answer gave \(String(describing: caught))")
            #expect([.interrupted, .unreachable, .streamError, .malformedResponse].contains(error.code), "\(error)")
            // The server comes back (restarted once) and answers again.
            let deadline = ContinuousClock.now + .seconds(120)
            var restarted: Int32?
            while ContinuousClock.now < deadline {
                if let pid = await server.processIdentifier, pid != first { restarted = pid; break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(restarted != nil, "the server was not restarted")
            #expect(await server.restartCount == 1)
            let vectors = try await runtime.models.embed(["after the restart"])
            #expect(vectors.first?.count == 384)
        }
    }

    @Test func aDeliberationInterruptedByAKilledServerResumesFromItsCheckpoint() async throws {
        try await withEmbeddedRuntime { runtime in
            let server = try #require(runtime.models.embeddedServer)
            _ = try await runtime.models.embed(["wake the server"])
            let first = try #require(await server.processIdentifier)
            // Kill the server as ROBIN starts to answer: the run fails there, after BRICK's proposals were checkpointed.
            let events = runtime.models.events()
            let killer = Task {
                var robinCalled = false
                for await event in events {
                    switch event {
                    case .callStarted(let persona, _, _, _) where persona == "robin": robinCalled = true
                    case .delta(let delta) where robinCalled && delta.persona == "robin":
                        killRouter(first)
                        return true
                    default: break
                    }
                }
                return false
            }
            let interrupted = try await runtime.runner.start(
                graph: "ALFRED.deliberation", state: ["task": .string(Self.atlasTask), "max_turns": 1, "dissonance_threshold": 0.8])
            runtime.models.finishEvents()
            #expect(await killer.value, "ROBIN never started to answer")
            #expect(interrupted.status == .failed, "the run ended \(interrupted.status)")
            let before = try await runtime.runner.history(interrupted.id)
            let nodesBefore = before.compactMap(\.node)
            #expect(nodesBefore.contains { $0.localizedCaseInsensitiveContains("propose") }, "\(nodesBefore)")
            #expect(!nodesBefore.contains { $0.localizedCaseInsensitiveContains("evaluate") }, "\(nodesBefore)")

            // The server is restarted; the run resumes from its last checkpoint and finishes without re-proposing.
            let resumed = try await runtime.runner.resume(interrupted.id)
            #expect(resumed.status == .done, "the resumed run ended \(resumed.status): \(resumed.error ?? "")")
            #expect(await server.restartCount == 1)
            let after = try await runtime.runner.history(interrupted.id)
            #expect(Array(after.prefix(before.count)).map(\.node) == before.map(\.node))
            let nodesAfter = after.compactMap(\.node)
            #expect(nodesAfter.filter { $0.localizedCaseInsensitiveContains("propose") }.count
                == nodesBefore.filter { $0.localizedCaseInsensitiveContains("propose") }.count)
            #expect(nodesAfter.contains { $0.localizedCaseInsensitiveContains("synthesize") }, "\(nodesAfter)")
            #expect(after.last?.state["answer"]?.stringValue?.isEmpty == false)
        }
    }

    @Test func theForgeOnTheRealModelInstallsOnlyWhatItVerified() async throws {
        try await withEmbeddedRuntime { runtime in
            let before = try #require(runtime.image.memory.proto(named: "BRICK"))
            let result = try await runtime.forge.forge(proto: "BRICK", selector: "double", description: "returns args.n multiplied by 2",
                                                       exampleArgs: ["n": 21])
            let after = try #require(runtime.image.memory.proto(named: "BRICK"))
            // Every attempt ran for real: a candidate extracted and tested, or the reason it could not be.
            #expect(!result.attempts.isEmpty && result.attempts.count <= 3)
            if result.succeeded {
                let last = try #require(result.attempts.last)
                #expect(last.errors.isEmpty)
                #expect(after.methods["double"]?.source == last.method)
                #expect(after.slots["tests"]?["double"]?.stringValue == last.tests)
                #expect(try runtime.image.history(proto: "BRICK", subject: "method:double").last?.author == .forge)
            } else {
                #expect(result.attempts.count == 3)
                #expect(result.attempts.allSatisfy { !$0.errors.isEmpty })
                #expect(after == before, "a refused forge changed BRICK")
            }
            print("real forge: \(result.succeeded ? "installed" : "refused") after \(result.attempts.count) attempt(s): "
                + result.attempts.map { $0.errors.first.map { String($0.prefix(120)) } ?? "passed" }.joined(separator: " | "))
        }
    }

    /// SIGKILL for the router (the shell around it is the supervised process).
    private func killRouter(_ shell: Int32) {
        for child in children(of: shell) { kill(child, SIGKILL) }
    }
}

/// The process ids whose parent is `pid` (from /proc).
func children(of pid: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { candidate in
        guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 && Int32(fields[1]) == pid
    }
}

private func cosine(_ a: [Float], _ b: [Float]) -> Float {
    var dot: Float = 0, na: Float = 0, nb: Float = 0
    for i in 0..<min(a.count, b.count) {
        dot += a[i] * b[i]
        na += a[i] * a[i]
        nb += b[i] * b[i]
    }
    return na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : 0
}
