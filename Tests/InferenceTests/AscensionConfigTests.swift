import Foundation
import Inference
import Testing

/// `[ascension]` of config.toml: the candidates (names, GGUF files, tables with a declared size and
/// a trainer base), the gain a candidate needs, and the bounds of the protocol's work.
@Suite("config.toml [ascension]")
struct AscensionConfigTests {
    @Test func defaultsWhenAbsent() throws {
        let settings = try A4PSConfig.parse("", environment: [:]).ascension
        #expect(settings.candidates.isEmpty && settings.minGain == 0.5 && settings.validationPrompts == 4)
        #expect(settings.answerTokens == 200 && settings.adapterExamples == 16 && settings.recurateLimit == 20)
    }

    @Test func candidatesAndBoundsAreRead() throws {
        let text = """
            [ascension]
            candidates = ["qwen2.5:7b", "/models/Brick-Merged.gguf", {name = "llama3.1:70b", size_gb = 40.5, trainer_base = "meta-llama/Llama-3.1-70B-Instruct"}, {file = "/m/x.gguf"}]
            min_gain = 0.25
            validation_prompts = 2
            answer_tokens = 96
            adapter_examples = 0
            recurate_limit = 5
            """
        let settings = try A4PSConfig.parse(text, environment: [:]).ascension
        #expect(settings.candidates.map(\.name) == ["qwen2.5:7b", "brick-merged", "llama3.1:70b", "x"])
        #expect(settings.candidates[1].file == "/models/Brick-Merged.gguf")
        #expect(settings.candidates[2].sizeBytes == 40_500_000_000 && settings.candidates[2].trainerBase == "meta-llama/Llama-3.1-70B-Instruct")
        #expect(settings.candidate(named: "/m/x.gguf")?.name == "x")
        #expect(settings.minGain == 0.25 && settings.validationPrompts == 2 && settings.answerTokens == 96)
        #expect(settings.adapterExamples == 0 && settings.recurateLimit == 5)
    }

    @Test func mistakesNameTheKeyAndTheFix() throws {
        for (text, fragment) in [
            ("[ascension]\nmin_gain = 9\n", "ascension.min_gain must be between -4 and 4"),
            ("[ascension]\nvalidation_prompts = 0\n", "ascension.validation_prompts must be at least 1"),
            ("[ascension]\nrecurate_limit = -1\n", "ascension.recurate_limit must be 0"),
            ("[ascension]\ncandidates = \"qwen\"\n", "ascension.candidates must be a list"),
            ("[ascension]\ncandidates = [{size_gb = 3}]\n", "without `name`"),
            ("[ascension]\ncandidates = [{name = \"a\", size_gb = -1}]\n", "size_gb of a must be a positive number"),
            ("[ascension]\ncandidates = [{name = \"a\", weight = 1}]\n", "unknown key(s) weight"),
            ("[ascension]\ncandidates = [\"a\", \"a\"]\n", "names a twice"),
        ] {
            let error = #expect(throws: ConfigError.self) { try A4PSConfig.parse(text, path: "config.toml", environment: [:]) }
            #expect(error?.description.contains(fragment) == true, "\(error?.description ?? "no error") lacks \(fragment)")
            #expect(error?.line != nil)
        }
    }
}
