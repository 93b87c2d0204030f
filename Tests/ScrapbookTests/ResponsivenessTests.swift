import BlockingWork
import AsyncHTTPClient
import Foundation
import Inference
import Scrapbook
import ScriptedModelServer
import Synchronization
import Testing

/// CPU-bound work of the scrapbook (k-means over a large index) runs off Swift's cooperative
/// pool, so the model layer's timers keep firing on time while it runs.
@Suite struct ResponsivenessTests {
    @Test("a streamed answer's idle timeout fires on time while an index of 50,000 vectors trains")
    func idleTimeoutFiresDuringTraining() async throws {
        try await withTemporaryDirectory { dir in
            let count = 50_000
            let vectors = await OffPool.run {
                clusteredVectors(count: count, dimension: 128, clusters: 40, spread: 0.4, seed: 11)
            }
            var configuration = testConfiguration(threshold: 1_000, batch: 5_000)
            configuration.automaticRetraining = false
            configuration.kMeansIterations = 16
            let scrapbook = try Scrapbook.open(
                path: dir.databasePath, embedder: TableEmbedder(vectors: vectors), configuration: configuration)
            for start in stride(from: 0, to: count, by: 5_000) {
                let batch = (start..<min(count, start + 5_000)).map {
                    NewMemory(text: "v\($0)", source: .userDialogue, persona: "BABS")
                }
                _ = try await scrapbook.add(batch)
            }

            // Retrain again and again until the stream has ended, so that a training occupies the
            // cores during the whole call, however fast the machine is.
            let streamDone = Atomic<Bool>(false)
            let training = Task {
                var reports: [IndexReport] = []
                repeat {
                    reports.append(try await scrapbook.reindex())
                } while !streamDone.load(ordering: .sequentiallyConsistent)
                return reports
            }

            // Tokens 8 s apart and an idle limit of 0.3 s: the timeout must fire before the second
            // token would have arrived, although the training occupies every core meanwhile.
            let server = ScriptedModelServer(script: Script(rules: [
                .init(reply: "slow tokens here", fault: .init(kind: .slowTokens, delayMilliseconds: 8000)),
            ]))
            let url = try await server.start()
            let client = BackendFactory.makeHTTPClient(connectTimeoutSeconds: 5)
            let backend = OllamaBackend(
                baseURL: url, httpClient: client,
                timeouts: RequestTimeouts(firstByte: .seconds(60), idle: .milliseconds(300)))
            let started = ContinuousClock.now
            var received = ""
            var caught: InferenceError?
            do {
                for try await chunk in backend.chatStream(ChatRequest(model: "phi3:mini-4k-instruct", messages: [.user("go")])) {
                    received += chunk.content
                }
            } catch let error as InferenceError {
                caught = error
            }
            let elapsed = ContinuousClock.now - started
            streamDone.store(true, ordering: .sequentiallyConsistent)
            try await client.shutdown()
            await server.stop()

            #expect(caught?.code == .timeout)
            #expect(received == "slow")
            #expect(elapsed < .seconds(8), "the idle timeout fired only after \(elapsed)")
            let reports = try await training.value
            #expect(reports.allSatisfy { $0.kind == .ivf && $0.vectorCount == count })
        }
    }
}
