import Foundation

/// What a model needs in VRAM, estimated from its name when nothing better is known — the
/// parameter count the name carries (`llama3.1:70b`, `gemma-3-270m`, `mixtral:8x7b`) times the bytes
/// a parameter takes at the name's quantization (4-bit unless it says `q8`, `f16`…), plus room for
/// the context. Deliberately on the large side: it only decides what is not pulled.
public enum ModelSizeEstimate {
    /// The estimate in bytes and how it was made; nil when the name carries no parameter count.
    public static func bytes(fromName name: String) -> (bytes: Int64, how: String)? {
        let text = name.lowercased()
        guard let parameters = parameterCount(text) else { return nil }
        let (bytesPerParameter, bits) = precision(text)
        let bytes = Int64(parameters * bytesPerParameter + 0.3e9)
        return (bytes, String(format: "estimated from the name: %@ parameters at ~%@ bits, plus 0.3 GB of context",
                              format(parameters), bits))
    }

    /// Parameters named as `70b`, `1.5b`, `270m`, `8x7b` (a mixture of experts: all of them).
    static func parameterCount(_ text: String) -> Double? {
        let pattern = #"(?:^|[^a-z0-9.])(?:(\d+)x)?(\d+(?:\.\d+)?)([bm])(?=$|[^a-z0-9])"#
        guard let regex = try? NSRegularExpression(pattern: pattern),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
              let countRange = Range(match.range(at: 2), in: text), let unitRange = Range(match.range(at: 3), in: text),
              let count = Double(text[countRange]) else { return nil }
        let experts = Range(match.range(at: 1), in: text).flatMap { Double(text[$0]) } ?? 1
        return experts * count * (text[unitRange] == "b" ? 1e9 : 1e6)
    }

    /// Bytes per parameter at the quantization the name says (4-bit when it says none, as Ollama's defaults are).
    static func precision(_ text: String) -> (Double, String) {
        if text.contains("f32") || text.contains("fp32") { return (4.0, "32") }
        if text.contains("f16") || text.contains("bf16") || text.contains("fp16") { return (2.0, "16") }
        if text.contains("q8") { return (1.07, "8.5") }
        if text.contains("q6") { return (0.82, "6.6") }
        if text.contains("q5") { return (0.69, "5.5") }
        if text.contains("q3") { return (0.49, "3.9") }
        if text.contains("q2") { return (0.37, "3") }
        return (0.6, "4.8")
    }

    static func format(_ parameters: Double) -> String {
        parameters >= 1e9 ? String(format: "%.1fB", parameters / 1e9) : String(format: "%.0fM", parameters / 1e6)
    }
}
