import Foundation

/// Turns any user text into a safe FTS5 MATCH expression: each word quoted, joined by OR.
///
/// Quoting makes FTS5 operators (`AND`, `NEAR`, `*`, `^`, `:`, parentheses, stray quotes) plain
/// words, so no input can be a syntax error. OR lets BM25 rank memories that contain more of the
/// words first, instead of demanding all of them.
enum FTSQuery {
    /// The MATCH expression, or nil when the text has no word characters at all.
    static func matchExpression(for text: String, maxTerms: Int = 64) -> String? {
        var terms: [String] = []
        var seen = Set<String>()
        for word in words(of: text) where terms.count < maxTerms {
            let key = word.lowercased()
            guard seen.insert(key).inserted else { continue }
            terms.append("\"" + word.replacingOccurrences(of: "\"", with: "\"\"") + "\"")
        }
        return terms.isEmpty ? nil : terms.joined(separator: " OR ")
    }

    /// Runs of letters, digits and marks: what the unicode61 tokenizer keeps as tokens.
    static func words(of text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            let properties = scalar.properties
            if properties.isAlphabetic || properties.numericType != nil
                || properties.generalCategory == .nonspacingMark
                || properties.generalCategory == .spacingMark
            {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}
