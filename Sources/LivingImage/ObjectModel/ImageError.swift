/// Everything that can go wrong with the image, each with a message that says what to do.
///
/// Match on ``code``; read ``description``. Errors never leave the image half-changed.
public struct ImageError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is, for callers that react to it.
    public enum Code: String, Sendable {
        case invalidName, invalidValue, noSuchProto, noSuchMethod, protoExists
        case conflict
        case compileFailed, methodFailed, killed, outOfMemory, sendDepthExceeded
        /// A primitive paused the send for a human (`interrupt`); it ends the whole send, uncatchable.
        case interrupted
        case notAnImage, corruptImage, newerSchema, fileExists, fileMissing, storage
        case genesis, rollback
        /// The ``Governor`` refused the change (``veto`` says which rule); nothing was changed.
        case vetoed
    }

    public let code: Code
    public let description: String
    /// For `methodFailed`: the Lua traceback, when there is one.
    public var traceback: String?
    /// For `vetoed`: the rule broken and where.
    public var veto: Governor.Veto?

    public init(_ code: Code, _ description: String, traceback: String? = nil) {
        self.code = code
        self.description = description
        self.traceback = traceback
    }
}

extension ImageError {
    static func invalidName(kind: Name.Kind, name: String, reason: String) -> ImageError {
        ImageError(.invalidName, "invalid \(kind.rawValue) '\(name)': \(reason)")
    }

    public static func noSuchProto(_ name: String) -> ImageError {
        ImageError(.noSuchProto, "there is no proto named '\(name)' in the image (list them with `a4ps inspect`)")
    }

    static func conflict(_ name: String, expected: Int64, actual: Int64) -> ImageError {
        ImageError(.conflict, "'\(name)' changed while you worked on a clone (expected version \(expected), "
            + "it is now \(actual)): nothing was changed; clone it again and retry")
    }
}

extension ImageError.Code {
    /// Failures a method may not catch with `pcall`: they end the top-level send at once.
    public var endsTheWholeSend: Bool {
        self == .killed || self == .sendDepthExceeded || self == .interrupted
    }
}
