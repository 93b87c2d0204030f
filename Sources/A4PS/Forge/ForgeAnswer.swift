import Inference
import JSON

/// The shape of every answer the forge and the debugger ask for: a JSON object with the code and
/// its tests. It is sent as the server's own constraint (a grammar on llama.cpp, `format` on
/// Ollama, guided decoding on vLLM), so even a small model answers in a form that parses; the
/// token limit keeps a model that rambles from holding the forge for minutes.
enum ForgeAnswer {
    static let schema: JSONValue = [
        "type": "object",
        "properties": ["code": ["type": "string", "minLength": 1], "tests": ["type": "string", "minLength": 1]],
        "required": ["code", "tests"],
        "additionalProperties": false,
    ]

    /// Low temperature (code, not prose), a repetition penalty and a token limit; no schema retry:
    /// an answer that does not parse is a failed attempt whose reason goes back to the persona.
    static let options = ThinkOptions(
        generation: GenerationOptions(temperature: 0.2, maxTokens: 1_000, repeatPenalty: 1.1), schema: schema, schemaRetries: 0)

    /// The closing instruction of a forge or debugger prompt.
    static func instruction(code: String, tests: String) -> String {
        """
        Answer with one JSON object with two string fields: "code" — \(code); "tests" — \(tests).
        """
    }

    /// What to say after a failed attempt.
    static func retry(_ errors: [String]) -> String {
        "That did not work:\n" + errors.map { "- " + $0 }.joined(separator: "\n")
            + "\nFix it and answer again with the JSON object {\"code\": …, \"tests\": …}."
    }
}
