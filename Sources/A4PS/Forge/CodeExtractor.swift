import Foundation

/// Pulls a method (or Python tool) and its tests out of a model's answer, fenced or not, with or
/// without chatter.
///
/// Recognised: two fenced blocks (```lua / ```python … ``` or plain ```), the first the code and
/// the second the tests; or unfenced text split by a line `-- tests` (`# tests` in Python). A
/// leading `-- PROTO>>selector` (`# PROTO>>selector`) line in the code names what it is for.
enum CodeExtractor {
    struct Candidate: Sendable, Hashable {
        var method: String
        var tests: String
        /// `PROTO>>selector` when the method's first line names it.
        var declaredTarget: String?
    }

    static func extract(_ answer: String, language: ForgeLanguage = .lua) -> Candidate? {
        let blocks = fencedBlocks(answer)
        var method: String
        var tests: String
        if blocks.count >= 2 {
            method = blocks[0]
            tests = blocks[1]
        } else {
            let body = blocks.first ?? answer
            let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
            guard let split = lines.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix(language.comment + " tests") }) else {
                return nil
            }
            method = lines[..<split].joined(separator: "\n")
            tests = lines[(split + 1)...].joined(separator: "\n")
        }
        method = method.trimmingCharacters(in: .whitespacesAndNewlines)
        tests = tests.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !method.isEmpty, !tests.isEmpty else { return nil }
        return Candidate(method: method, tests: tests, declaredTarget: declaredTarget(of: method, comment: language.comment))
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
