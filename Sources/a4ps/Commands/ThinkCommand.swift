import A4PS
import ArgumentParser
import Foundation
import Inference
import LivingImage

/// `a4ps think PERSONA "prompt"`: a persona's answer, streamed to the terminal as it is generated.
struct ThinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "think",
        abstract: "Ask one persona directly (its model, framed by its codex) and stream the answer."
    )
    @OptionGroup var options: ImageOptions
    @Argument(help: "ALFRED, BRICK, ROBIN or BABS (any proto with a codex).") var persona: String
    @Argument(help: "The prompt.") var prompt: String
    @Option(help: "Sampling temperature.") var temperature: Double?
    @Flag(help: "Ask for a JSON answer.") var json = false

    func run() async throws {
        let (persona, prompt, temperature, json) = (persona, prompt, temperature, json)
        try await options.asArchitect("think \(persona)") { runtime in
            guard let proto = runtime.image.memory.proto(named: persona) else { throw ImageError(.noSuchProto, "there is no persona named '\(persona)'") }
            var generation = GenerationOptions()
            generation.temperature = temperature
            let binding = PersonaPrimitives.binding(for: proto, models: runtime.models)
            var finished: ThinkResult?
            for try await update in runtime.models.stream(binding, messages: [.user(prompt)],
                                                          options: ThinkOptions(generation: generation, json: json)) {
                switch update {
                case .delta(let delta): FileHandle.standardOutput.write(Data(delta.text.utf8))
                case .finished(let result): finished = result
                }
            }
            emitLine("")
            if let result = finished {
                let tokens = result.usage.map { ", \($0.completionTokens) tokens" } ?? ""
                FileHandle.standardError.write(Data("[\(persona) · \(result.model)\(tokens)]\n".utf8))
            }
        }
    }
}
