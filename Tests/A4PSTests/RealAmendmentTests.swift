import A4PS
import Foundation
import LivingImage
import Testing

/// A codex amendment drafted by the real embedded model (part of the serialized real-model
/// suite): ALFRED's run drafts with SmolLM2 under a JSON schema, proposes, pauses; the
/// Architect's approval applies the diff and the run concludes. Mechanics only, never wording.
extension RealModelTests {
    @Test func alfredDraftsARealAmendmentAndTheApprovalAppliesIt() async throws {
        try await withEmbeddedRuntime { runtime in
            let before = runtime.image.memory.proto(named: "BRICK")?.codex["principles"]?.arrayValue ?? []
            let started = ContinuousClock.now
            let run = try await runtime.amendments.draft(persona: "BRICK", concern: "BRICK's plans forget the volunteers who carry them out")
            let drafted = ContinuousClock.now - started
            #expect(run.status == .paused, "\(run.error ?? "")")
            let proposal = try #require(try runtime.amendments.store.proposals().first)
            #expect(proposal.persona == "BRICK" && proposal.proposer == .alfred && proposal.run == run.id)
            let principles = try #require(proposal.diff.set["principles"]?.arrayValue)
            #expect(Array(principles.dropLast()) == before && principles.count == before.count + 1)
            #expect((principles.last?.stringValue?.count ?? 0) >= 10)
            #expect(proposal.reasoning.contains("Model answer") && proposal.reasoning.contains("Drafting prompt"))
            #expect(runtime.image.memory.proto(named: "BRICK")?.codex["principles"]?.arrayValue == before)

            let decision = try await runtime.amendments.approve(proposal.id, note: "try it")
            #expect(decision.run?.status == .done, "\(decision.resumeError ?? "")")
            #expect(runtime.image.memory.proto(named: "BRICK")?.codex["principles"]?.arrayValue == principles)
            #expect(try await runtime.runner.history(run.id).last?.state["outcome"] == "approved")
            print("codex amendment drafted by the real model in \(drafted): \(principles.last?.jsonText ?? "")")
        }
    }
}
