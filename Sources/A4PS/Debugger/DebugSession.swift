import Foundation
import LivingImage

/// A method that raised during a real send, kept until it is repaired or closed.
public struct DebugSession: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable {
        case open
        /// The debugger persona's fix passed every test and ALFRED's review, and was swapped in.
        case fixed
        /// A person repaired it (or decided it needs no repair).
        case closed
    }

    public var id: Int64
    public var proto: String
    public var selector: String
    /// The proto whose method raised (the receiver, or the ancestor it inherited the method from).
    public var owner: String
    public var args: JSONValue
    public var error: String
    public var traceback: String?
    /// The method's source when it raised.
    public var source: String
    public var status: Status
    /// The change that repaired it.
    public var fixChange: Int64?
    public var openedAt: Date

    public var json: JSONValue {
        ["id": .integer(id), "proto": .string(proto), "selector": .string(selector), "owner": .string(owner), "args": args,
         "error": .string(error), "traceback": traceback.map { .string($0) } ?? .null, "source": .string(source),
         "status": .string(status.rawValue), "fixChange": fixChange.map { .integer($0) } ?? .null,
         "openedAt": .string(ISO8601DateFormatter().string(from: openedAt))]
    }
}
