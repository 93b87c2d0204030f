import Foundation
import JSON

/// Pulls a method (or Python tool) and its tests out of a model's structured answer
/// (``ForgeAnswer``: `{"code": …, "tests": …}`), coping with a fence a model put inside a field.
///
/// A leading `-- PROTO>>selector` (`# PROTO>>selector`) line in the code names what it is for.
enum CodeExtractor {
    struct Candidate: Sendable, Hashable {
        var method: String
        var tests: String
        /// `PROTO>>selector` when the method's first line names it.
        var declaredTarget: String?
    }

    static func extract(_ answer: JSONValue, language: ForgeLanguage = .lua) -> Candidate? {
        guard let code = answer["code"]?.stringValue, let tests = answer["tests"]?.stringValue else { return nil }
        let method = unfenced(code)
        let checks = unfenced(tests)
        guard !method.isEmpty, !checks.isEmpty else { return nil }
        return Candidate(method: method, tests: checks, declaredTarget: declaredTarget(of: method, comment: language.comment))
    }

    /// The text inside the first fenced block when the field holds one, else the field itself; trimmed.
    static func unfenced(_ field: String) -> String {
        let text = fencedBlocks(field).first ?? field
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The contents of every ``` fenced block, in order.
    static func fencedBlocks(_ text: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                if let open = current {
                    blocks.append(open.joined(separator: "\n"))
                    current = nil
                } else {
                    current = []
                }
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    private static func declaredTarget(of method: String, comment: String) -> String? {
        guard let first = method.split(separator: "\n").first?.trimmingCharacters(in: .whitespaces), first.hasPrefix(comment) else { return nil }
        let words = first.dropFirst(comment.count).split(separator: " ")
        return words.first(where: { $0.contains(">>") }).map(String.init)
    }
}
