/// Texts bounded for an embedding model's context: a text longer than the bound is split into
/// passages (at whitespace where it can), every passage is embedded, and the text's vector is the
/// normalized mean of its passages' vectors. Without it a long interaction (thousands of tokens)
/// is refused by servers whose embedding context is a few hundred tokens.
struct EmbeddingPassages: Sendable {
    /// The passages to embed, in order.
    private(set) var passages: [String] = []
    /// For each original text, the range of its passages.
    private(set) var ranges: [Range<Int>] = []

    /// Splits `texts` into passages of at most `maxCharacters` characters each.
    init(_ texts: [String], maxCharacters: Int) {
        for text in texts {
            let start = passages.count
            passages += Self.split(text, maxCharacters: max(16, maxCharacters))
            ranges.append(start..<passages.count)
        }
    }

    /// One vector per original text from the passages' vectors (same order as ``passages``).
    func combine(_ vectors: [[Float]]) -> [[Float]] {
        ranges.map { range in
            guard range.count > 1 else { return vectors[range.lowerBound] }
            var sum = [Float](repeating: 0, count: vectors[range.lowerBound].count)
            for i in range {
                for (j, x) in vectors[i].enumerated() where j < sum.count { sum[j] += x }
            }
            let norm = sum.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            return norm > 0 ? sum.map { $0 / norm } : sum
        }
    }

    static func split(_ text: String, maxCharacters: Int) -> [String] {
        guard text.count > maxCharacters else { return [text] }
        var pieces: [String] = []
        var rest = Substring(text)
        while rest.count > maxCharacters {
            let limit = rest.index(rest.startIndex, offsetBy: maxCharacters)
            // Cut at the last whitespace in the second half of the window, else hard at the limit.
            let window = rest[rest.startIndex..<limit]
            let half = rest.index(rest.startIndex, offsetBy: maxCharacters / 2)
            let cut = window[half...].lastIndex(where: \.isWhitespace) ?? limit
            pieces.append(String(rest[rest.startIndex..<cut]))
            rest = rest[cut...].drop(while: \.isWhitespace)
        }
        if !rest.isEmpty { pieces.append(String(rest)) }
        return pieces
    }
}
