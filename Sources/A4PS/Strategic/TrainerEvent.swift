import JSON

/// One thing a running trainer reported: a line of its JSON protocol on stdout, or a line of its
/// diagnostic output on stderr (``TrainerRun/events``).
public enum TrainerEvent: Sendable, Hashable {
    /// The trainer started (`{"event":"started", ...}`: trainer, examples, threads...).
    case started(JSONValue)
    /// The base model is loaded (`{"event":"loaded", ...}`).
    case loaded(JSONValue)
    /// An optimizer step finished.
    case progress(Progress)
    /// The hold-out loss, `before` or `after` training.
    case evaluated(phase: String, loss: Double?)
    /// The trainer finished; the same result ``TrainerRun/result()`` returns.
    case finished(TrainerResult)
    /// The trainer reported a failure (it exits non-zero next).
    case failed(message: String, kind: String?)
    /// A protocol event this side does not know (a newer trainer), kept whole.
    case other(name: String, JSONValue)
    /// A line of the trainer's standard error (library warnings, tracebacks, the converter's log).
    case log(String)

    /// One step of training.
    public struct Progress: Sendable, Hashable {
        public var step: Int
        public var maxSteps: Int
        public var loss: Double?
        public var epoch: Double?
        public var learningRate: Double?

        public init(step: Int, maxSteps: Int, loss: Double? = nil, epoch: Double? = nil, learningRate: Double? = nil) {
            self.step = step
            self.maxSteps = maxSteps
            self.loss = loss
            self.epoch = epoch
            self.learningRate = learningRate
        }
    }

    /// The event a protocol line stands for; nil when the line is not a protocol object.
    static func parse(protocolLine object: JSONValue) -> TrainerEvent? {
        guard case .object = object, let name = object["event"]?.stringValue else { return nil }
        switch name {
        case "started": return .started(object)
        case "loaded": return .loaded(object)
        case "progress":
            guard let step = object["step"]?.intValue else { return nil }
            return .progress(Progress(step: step, maxSteps: object["max_steps"]?.intValue ?? -1,
                                      loss: object["loss"]?.doubleValue, epoch: object["epoch"]?.doubleValue,
                                      learningRate: object["learning_rate"]?.doubleValue))
        case "eval":
            return .evaluated(phase: object["phase"]?.stringValue ?? "after", loss: object["loss"]?.doubleValue)
        case "done":
            return TrainerResult(protocolObject: object).map { .finished($0) }
        case "error":
            return .failed(message: object["message"]?.stringValue ?? "the trainer reported an error without a message",
                           kind: object["kind"]?.stringValue)
        default:
            return .other(name: name, object)
        }
    }
}
