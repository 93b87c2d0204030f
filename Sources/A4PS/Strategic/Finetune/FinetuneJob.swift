import Foundation
import JSON

/// One fine-tune of a persona's model, durable in the image file (`a4ps finetune list|show`): from
/// queued through training, registration and validation to a swap or a discard, with its
/// progress, the tail of its log, its timings and the reason it ended as it did.
public struct FinetuneJob: Sendable, Hashable {
    /// Where a job is.
    public enum Status: String, Sendable, Hashable, CaseIterable {
        /// Waiting for a worker (one job runs at a time in an image).
        case queued
        /// Training, registering or validating (``phase`` says which).
        case running
        /// Done: the new mind was swapped in, or discarded on its scores (``decision``).
        case succeeded
        case failed
        case cancelled

        /// Whether the job has ended.
        public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
    }

    /// What a finished job decided.
    public enum Decision: String, Sendable, Hashable {
        /// The persona now thinks with the adapter.
        case swapped
        /// The adapter did not validate; it is unregistered and the persona unchanged.
        case discarded
    }

    public var id: Int64
    /// The persona whose model is tuned (`BRICK`).
    public var persona: String
    public var status: Status
    /// What the running job is doing: `training`, `registering`, `validating`, `swapping`.
    public var phase: String?
    /// Why the job exists: `architect` (`a4ps finetune`), `golden` (the dataset reached `min_examples`).
    public var trigger: String
    /// Training examples and hold-out examples it was given.
    public var examples: Int
    public var holdout: Int
    /// A digest of the training data (the same data gives the same digest).
    public var datasetDigest: String
    /// The versioned name the adapter is served under (`brick-golden-3`).
    public var adapterName: String
    /// The last optimizer step and its loss.
    public var step: Int
    public var maxSteps: Int
    public var loss: Double?
    public var decision: Decision?
    /// Why it failed, was cancelled or was discarded.
    public var reason: String?
    /// How many times a worker started it (a job found again after a crash starts again).
    public var attempts: Int
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
    /// The record of what happened: the trainer's result and timings, the adapter, the validation's
    /// score sets and means, the change that swapped it.
    public var provenance: JSONValue
    /// The last lines of the trainer's output.
    public var log: [String]

    /// The job as JSON (`a4ps finetune show --json`, the API).
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "id": .int(Int(id)), "persona": .string(persona), "status": .string(status.rawValue), "trigger": .string(trigger),
            "examples": .int(examples), "holdout": .int(holdout), "dataset_digest": .string(datasetDigest),
            "adapter": .string(adapterName), "step": .int(step), "max_steps": .int(maxSteps), "attempts": .int(attempts),
            "created_at": .number(createdAt.timeIntervalSince1970), "provenance": provenance,
            "log": .array(log.map { .string($0) }),
        ]
        if let phase { object["phase"] = .string(phase) }
        if let loss { object["loss"] = .number(loss) }
        if let decision { object["decision"] = .string(decision.rawValue) }
        if let reason { object["reason"] = .string(reason) }
        if let startedAt { object["started_at"] = .number(startedAt.timeIntervalSince1970) }
        if let finishedAt { object["finished_at"] = .number(finishedAt.timeIntervalSince1970) }
        return .object(object)
    }
}
