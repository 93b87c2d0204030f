import Foundation
import Inference
import LivingImage

/// The pre-pull check of the philosophical loop: before a candidate is pulled or loaded, the
/// governor's model rules (ALFRED's codex: `model_fits_vram_budget`, `allowed_model_families`)
/// judge it with what the catalog knows of it — its size (the server's, its file's, declared in
/// `[ascension] candidates`, or estimated from its name) against the VRAM budget of the persona's
/// server. One call into the governor (``Image/admitModel(_:for:facts:author:)``), which records a
/// refusal in its audit trail and publishes it as `governor.veto`; the loop has no rules of its own.
public enum AscensionVRAMFit {
    /// Why `candidate` may not be pulled or loaded for `persona`, or nil when the governor admits it.
    public static func refusal(_ candidate: AscensionCandidate, for persona: String, image: Image, models: ModelManager) async -> String? {
        let facts = ModelFacts(model: candidate.name, family: candidate.family, sizeBytes: candidate.sizeBytes,
                               budgetBytes: models.vramBudgetBytes(for: persona), server: models.backend(for: persona).displayName)
        do {
            try await image.admitModel(candidate.name, for: persona, facts: facts, author: .ascension)
            return nil
        } catch {
            let refused = error.description + (candidate.sizeSource.map { " (size: \($0))" } ?? "")
            return refused + (candidate.sizeBytes == nil
                ? " — if it is to be pulled, declare its size in config.toml: [ascension] candidates = [{name = \"\(candidate.name)\", size_gb = N}]"
                : " — refused before pulling it")
        }
    }
}
