import Foundation
import Inference
import LivingImage
import Synchronization

/// What each persona was sent — system prompt, history and prompt — call by call, for the runs of
/// this process (Letta's context viewer: "what exactly did the model see?"). Kept in memory for
/// the latest ``capacity`` runs; a deliberation's checkpoints keep what it concluded, this keeps
/// what it was asked.
public final class PromptLog: Sendable {
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
    private struct State {
        var entries: [String: [Entry]] = [:]
        var order: [String] = []
    }
    private let state = Mutex(State())

    public init(capacity: Int = 200) {
        self.capacity = capacity
    }

    /// Records a call of `persona` in run `runID`.
    public func record(persona: String, runID: String, model: String, messages: [ChatMessage], at: Date = Date()) {
        let entry = Entry(persona: persona, model: model, at: at, messages: messages)
        state.withLock { state in
            if state.entries[runID] == nil {
                state.order.append(runID)
                if state.order.count > capacity { state.entries[state.order.removeFirst()] = nil }
            }
            state.entries[runID, default: []].append(entry)
        }
    }

    /// The calls of run `runID`, in order (empty when it made none here, or too long ago).
    public func prompts(of runID: String) -> [Entry] {
        state.withLock { $0.entries[runID] ?? [] }
    }
}
