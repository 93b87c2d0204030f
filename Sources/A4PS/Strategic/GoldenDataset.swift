import Foundation
import GRDB
import LivingImage

/// The personas' golden datasets (seed 002 Part III), kept in the image file: from every
/// interaction the Oracle scores at or above the golden threshold, each persona that spoke gives
/// one ChatML conversation per turn — its system prompt, what it was asked (with its conversation
/// so far), what it answered. Deduplicated by content, with provenance, and a fixed hold-out split
/// (one example in ten, by its content) for validating a fine-tuned model.
public struct GoldenDataset: Sendable {
    let database: DatabasePool
    let image: Image

    /// Where each persona's exchanges are in a deliberation's final state.
    static let conversations = [("BRICK", "brick_history"), ("ROBIN", "robin_history"), ("ALFRED", "alfred_history")]
    /// The largest message an example may hold; a giant answer is skipped, not cut.
    public static let maxMessageBytes = 32 * 1024

    public init(image: Image) throws {
        self.image = image
        database = image.database
        var migrator = DatabaseMigrator()
        migrator.registerMigration("strategic.v1") { db in
            try db.execute(sql: """
                CREATE TABLE golden_examples(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    persona TEXT NOT NULL,
                    digest TEXT NOT NULL,
                    messages TEXT NOT NULL,
                    split TEXT NOT NULL,
                    run TEXT NOT NULL,
                    overall REAL NOT NULL,
                    at REAL NOT NULL,
                    UNIQUE(persona, digest));
                """)
        }
        try migrator.migrateShared(database)
    }

    /// What a harvest did: examples added, duplicates ignored, and what was skipped and why.
    public struct Harvest: Sendable, Hashable {
        public var added: [String: Int] = [:]
        public var duplicates = 0
        public var skipped: [String] = []
    }

    /// Adds the examples of a scored run's final state, all in one transaction (never half-written).
    @discardableResult
    public func harvest(run: String, state: JSONValue, overall: Double) throws -> Harvest {
        var harvest = Harvest()
        var examples: [(persona: String, messages: JSONValue)] = []
        for (persona, key) in Self.conversations {
            guard let history = state[key], history != .null else { continue }
            guard let system = image.memory.proto(named: persona)?.codex["system_prompt"]?.stringValue, !system.isEmpty else {
                harvest.skipped.append("\(persona): no system prompt in its codex")
                continue
            }
            guard let turns = Self.turns(history) else {
                harvest.skipped.append("\(persona): \(key) is not a list of alternating user and assistant messages")
                continue
            }
            let header: JSONValue = ["role": "system", "content": .string(system)]
            for end in stride(from: 2, through: turns.count, by: 2) {
                let conversation = Array(turns[..<end])
                if let giant = conversation.first(where: { ($0["content"]?.stringValue?.utf8.count ?? 0) > Self.maxMessageBytes }) {
                    harvest.skipped.append("\(persona) turn \(end / 2): a \(giant["role"]?.stringValue ?? "") message over \(Self.maxMessageBytes) bytes")
                    continue
                }
                examples.append((persona, .array([header] + conversation)))
            }
        }
        let now = Date().timeIntervalSince1970
        try database.write { db in
            for (persona, messages) in examples {
                let digest = Self.digest(messages.jsonText)
                try db.execute(sql: """
                    INSERT OR IGNORE INTO golden_examples(persona, digest, messages, split, run, overall, at) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [persona, digest, messages.jsonText, Self.split(digest).rawValue, run, overall, now])
                if db.changesCount == 1 { harvest.added[persona, default: 0] += 1 } else { harvest.duplicates += 1 }
            }
        }
        return harvest
    }

    /// The examples of a persona (every persona when nil), oldest first.
    public func examples(of persona: String? = nil, split: GoldenExample.Split? = nil) throws -> [GoldenExample] {
        try database.read { db in
            var sql = "SELECT * FROM golden_examples WHERE 1"
            var arguments: [any DatabaseValueConvertible] = []
            if let persona { sql += " AND persona = ?"; arguments.append(persona.uppercased()) }
            if let split { sql += " AND split = ?"; arguments.append(split.rawValue) }
            return try Row.fetchAll(db, sql: sql + " ORDER BY id", arguments: StatementArguments(arguments)).map(Self.example)
        }
    }

    public func example(_ id: Int64) throws -> GoldenExample? {
        try database.read { db in try Row.fetchOne(db, sql: "SELECT * FROM golden_examples WHERE id = ?", arguments: [id]).map(Self.example) }
    }

    /// Removes an example (a person judged it not golden after all); answers whether it existed.
    @discardableResult
    public func remove(_ id: Int64) throws -> Bool {
        try database.write { db in
            try db.execute(sql: "DELETE FROM golden_examples WHERE id = ?", arguments: [id])
            return db.changesCount == 1
        }
    }

    /// How many examples each persona has.
    public func counts() throws -> [String: Int] {
        try database.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT persona, COUNT(*) AS n FROM golden_examples GROUP BY persona")
                .map { ($0["persona"] as String, $0["n"] as Int) })
        }
    }

    /// A persona's examples as JSONL, one `{"messages": [...]}` per line.
    public func jsonl(of persona: String, split: GoldenExample.Split) throws -> String {
        try examples(of: persona, split: split).map { $0.chatML + "\n" }.joined()
    }

    /// The user/assistant messages of a persona's history, when well formed.
    static func turns(_ history: JSONValue) -> [JSONValue]? {
        guard let items = history.arrayValue, !items.isEmpty, items.count % 2 == 0 else { return nil }
        for (index, item) in items.enumerated() {
            guard item["role"]?.stringValue == (index % 2 == 0 ? "user" : "assistant"),
                  let content = item["content"]?.stringValue, !content.isEmpty else { return nil }
        }
        return items.map { ["role": $0["role"]!, "content": $0["content"]!] }
    }

    /// A stable digest of an example's content (FNV-1a, 64 bits, hex): duplicates share it.
    static func digest(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// One example in ten, fixed by its content, is held out.
    static func split(_ digest: String) -> GoldenExample.Split {
        (UInt64(digest, radix: 16) ?? 0) % 10 == 0 ? .holdout : .train
    }

    private static func example(_ row: Row) throws -> GoldenExample {
        GoldenExample(id: row["id"], persona: row["persona"], messages: try JSONValue(parsing: row["messages"]),
                      split: GoldenExample.Split(rawValue: row["split"]) ?? .train, run: row["run"], overall: row["overall"],
                      at: Date(timeIntervalSince1970: row["at"]))
    }
}
