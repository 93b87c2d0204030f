import Foundation
import LivingImage

/// One training example of a persona's golden dataset: a ChatML conversation (its system prompt,
/// what it was asked, what it answered) from an interaction the Oracle found golden.
public struct GoldenExample: Sendable, Hashable {
    /// Training examples, or the fixed hold-out set that validates a fine-tuned model.
    public enum Split: String, Sendable, Hashable {
        case train, holdout
    }

    public var id: Int64
    public var persona: String
    /// `[{role, content}]`: system first, then user and assistant turns, ending with the answer.
    public var messages: JSONValue
    public var split: Split
    /// Where it came from: the run and the Oracle's overall score of it.
    public var run: String
    public var overall: Double
    public var at: Date

    /// What the persona was asked: the last message before its answer.
    public var asked: String { messages.arrayValue?.dropLast().last?["content"]?.stringValue ?? "" }

    /// The JSONL line TRL's SFTTrainer and Unsloth load: `{"messages": [...]}`.
    public var chatML: String { JSONValue.object(["messages": messages]).jsonText }

    public var json: JSONValue {
        ["id": .integer(id), "persona": .string(persona), "messages": messages, "split": .string(split.rawValue),
         "run": .string(run), "overall": .number(overall), "asked": .string(asked), "at": .string(ISO8601DateFormatter().string(from: at))]
    }
}
