import Foundation
import Inference

extension FinetuneWorker {
    /// What the trainer loads to fine-tune a persona bound to `model`: on the embedded server, the
    /// GGUF that model is served from (the chat model, or the base model an ascension bound the
    /// persona to — an adapter is retrained on its base); elsewhere the model's `trainer_base` from
    /// `[ascension] candidates`, else `[strategic] base_model`, else SmolLM2-135M-Instruct.
    func trainingBase(for model: String, persona: String) -> (model: String, gguf: String?) {
        let fallback = trainerBases[model] ?? settings.baseModel ?? "HuggingFaceTB/SmolLM2-135M-Instruct"
        guard let embedded = models.backend(for: persona) as? EmbeddedBackend else { return (fallback, nil) }
        let served = embedded.servedName(model)
        guard let file = embedded.server.file(servedAs: served), served != LocalModelInstall.chatModel,
              file != embedded.server.install.chatModelFile else {
            return (settings.baseModel ?? fallback, embedded.server.install.chatModelFile)
        }
        return (trainerBases[model] ?? file, file)
    }
}
