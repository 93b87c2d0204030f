import Foundation
import GRDB
import LivingImage

extension GoldenDataset {
    /// Adds one example — `messages` a ChatML conversation that starts with the persona's system
    /// prompt and ends with the answer — with its provenance (the philosophical loop's re-curation
    /// adds the new mind's golden answers this way). Answers false for a duplicate. A malformed or
    /// giant conversation is refused with the reason.
    @discardableResult
    public func add(persona: String, messages: JSONValue, run: String, overall: Double) throws -> Bool {
        guard let items = messages.arrayValue, items.count >= 3, items.first?["role"]?.stringValue == "system",
              items.last?["role"]?.stringValue == "assistant", Self.turns(.array(Array(items.dropFirst()))) != nil else {
            throw GoldenExampleError("a golden example is [system, user, assistant, …, assistant] with non-empty contents")
        }
        if items.contains(where: { ($0["content"]?.stringValue?.utf8.count ?? 0) > Self.maxMessageBytes }) {
            throw GoldenExampleError("a message of the example is over \(Self.maxMessageBytes) bytes")
        }
        let digest = Self.digest(messages.jsonText)
        return try database.write { db in
            try db.execute(sql: """
                INSERT OR IGNORE INTO golden_examples(persona, digest, messages, split, run, overall, at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [persona.uppercased(), digest, messages.jsonText, Self.split(digest).rawValue, run, overall,
                                 Date().timeIntervalSince1970])
            return db.changesCount == 1
        }
    }
}

/// A golden example that cannot be added, and why.
public struct GoldenExampleError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
