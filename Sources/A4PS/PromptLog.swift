import Foundation
import GRDB
import Inference
import LivingImage

/// What each persona was sent — system prompt, history and prompt — call by call, per run
/// (Letta's context viewer: "what exactly did the model see?"). Kept in the image file for the
/// latest ``capacity`` runs, so it survives a restart and every process on the image sees it; a
/// deliberation's checkpoints keep what it concluded, this keeps what it was asked.
public struct PromptLog: Sendable {
    /// One model call: who, with which model, when, and the messages it was sent.
    public struct Entry: Sendable, Hashable {
        public var persona: String
        public var model: String
        public var at: Date
        public var messages: [ChatMessage]

        public var json: JSONValue {
            ["persona": .string(persona), "model": .string(model), "at": .string(ISO8601DateFormatter().string(from: at)),
             "messages": .array(messages.map { ["role": .string($0.role.rawValue), "content": .string($0.content)] })]
        }
    }

    /// How many runs' prompts are kept (the oldest run's go first).
    public let capacity: Int
    let database: DatabasePool

    public init(image: Image, capacity: Int = 200) throws {
        self.capacity = capacity
        database = image.database
        var migrator = DatabaseMigrator()
        migrator.registerMigration("prompts.v1") { db in
            try db.execute(sql: """
                CREATE TABLE run_prompts(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    run TEXT NOT NULL,
                    persona TEXT NOT NULL,
                    model TEXT NOT NULL,
                    at REAL NOT NULL,
                    messages TEXT NOT NULL);
                CREATE INDEX run_prompts_on_run ON run_prompts(run, id);
                """)
        }
        try migrator.migrateShared(database)
    }

    /// Records a call of `persona` in run `runID`; the first call of a new run drops the runs
    /// beyond ``capacity``, oldest first.
    public func record(persona: String, runID: String, model: String, messages: [ChatMessage], at: Date = Date()) throws {
        let text = JSONValue.array(messages.map { ["role": .string($0.role.rawValue), "content": .string($0.content)] }).jsonText
        try database.write { db in
            let known = try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM run_prompts WHERE run = ?)", arguments: [runID]) ?? false
            try db.execute(sql: "INSERT INTO run_prompts(run, persona, model, at, messages) VALUES (?, ?, ?, ?, ?)",
                           arguments: [runID, persona, model, at.timeIntervalSince1970, text])
            guard !known else { return }
            try db.execute(sql: """
                DELETE FROM run_prompts WHERE run IN (
                    SELECT run FROM run_prompts GROUP BY run ORDER BY MAX(id) DESC LIMIT -1 OFFSET ?)
                """, arguments: [capacity])
        }
    }

    /// The calls of run `runID`, in order (empty when it made none, or too long ago).
    public func prompts(of runID: String) throws -> [Entry] {
        try database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM run_prompts WHERE run = ? ORDER BY id", arguments: [runID]).map { row in
                let messages = try JSONValue(parsing: row["messages"] as String).arrayValue ?? []
                return Entry(persona: row["persona"], model: row["model"], at: Date(timeIntervalSince1970: row["at"]),
                             messages: messages.map { message in
                                 ChatMessage(role: ChatMessage.Role(rawValue: message["role"]?.stringValue ?? "") ?? .user,
                                             content: message["content"]?.stringValue ?? "")
                             })
            }
        }
    }
}
