import A4PS
import Foundation
import Inference
import LivingImage
import Testing

/// What each persona was sent: kept in the image file, bounded to the latest runs.
@Suite struct PromptLogTests {
    @Test func promptsOutliveTheProcessAndOnlyTheLatestRunsAreKept() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("a4ps-prompts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("p.image").path
        let messages: [ChatMessage] = [.system("You are BRICK."), .user("Name a prime.")]
        do {
            let image = try await Image.open(at: path)
            defer { image.close() }
            let log = try PromptLog(image: image, capacity: 2)
            try log.record(persona: "BRICK", runID: "run-a", model: "m", messages: messages)
            try log.record(persona: "ROBIN", runID: "run-a", model: "m", messages: [.user("Evaluate")])
            try log.record(persona: "BRICK", runID: "run-b", model: "m", messages: messages)
            #expect(try log.prompts(of: "run-a").map(\.persona) == ["BRICK", "ROBIN"])
            // A third run pushes out the oldest.
            try log.record(persona: "ALFRED", runID: "run-c", model: "m", messages: messages)
            #expect(try log.prompts(of: "run-a").isEmpty)
            #expect(try log.prompts(of: "run-b").count == 1)
        }
        // Opened again (a restart): still there, message by message.
        let image = try await Image.open(at: path, create: false)
        defer { image.close() }
        let log = try PromptLog(image: image, capacity: 2)
        let kept = try log.prompts(of: "run-b")
        #expect(kept.first?.messages == messages)
        #expect(kept.first?.model == "m")
        #expect(try log.prompts(of: "run-c").map(\.persona) == ["ALFRED"])
    }
}
