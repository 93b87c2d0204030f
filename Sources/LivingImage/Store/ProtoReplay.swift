import Foundation

/// A proto rebuilt by replaying the change log: its state after each delta applied in order,
/// starting from nothing or from a baseline snapshot that compaction wrote (see ImageStore+Compaction).
///
/// A replayed method has version 1: the log keeps sources, not method versions, so a rollback
/// restores what a method does, and the swap gives it the next version.
struct ProtoReplay {
    let name: String
    private(set) var proto: Proto?

    init(name: String, proto: Proto? = nil) {
        self.name = name
        self.proto = proto
    }

    /// Applies one delta's `after` value.
    mutating func apply(subject: String, after: JSONValue?) {
        if subject == "proto" {
            proto = after == nil ? nil : Proto(name: name)
            return
        }
        guard proto != nil else { return }
        switch subject {
        case "parent": proto!.parent = after?.stringValue
        case "codex": proto!.codex = after ?? .null
        case let s where s.hasPrefix("slot:"): proto!.slots[String(s.dropFirst(5))] = after
        case let s where s.hasPrefix("method:"):
            let selector = String(s.dropFirst(7))
            if let source = after?.stringValue {
                proto!.methods[selector] = MethodSource(selector: selector, source: source)
            } else {
                proto!.methods[selector] = nil
            }
        default: break
        }
    }

    // MARK: Baseline snapshots

    /// The replayed state as a baseline's text: JSON of its parent, codex, slots and method
    /// sources; nil when the proto did not exist.
    var baselineText: String? {
        guard let proto else { return nil }
        var object: [String: JSONValue] = [
            "codex": proto.codex,
            "slots": .object(proto.slots),
            "methods": .object(proto.methods.mapValues { .string($0.source) }),
        ]
        if let parent = proto.parent { object["parent"] = .string(parent) }
        return JSONValue.object(object).jsonText
    }

    /// The state a baseline's text describes (nil text: the proto did not exist).
    init(name: String, baselineText text: String?) throws {
        self.name = name
        guard let text else { return }
        let object = try JSONValue(parsing: text)
        var proto = Proto(name: name, parent: object["parent"]?.stringValue, codex: object["codex"] ?? .null)
        proto.slots = object["slots"]?.objectValue ?? [:]
        for (selector, source) in object["methods"]?.objectValue ?? [:] {
            if let source = source.stringValue { proto.methods[selector] = MethodSource(selector: selector, source: source) }
        }
        self.proto = proto
    }
}
