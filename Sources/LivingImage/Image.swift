import Foundation
import GRDB
import Logging
import Synchronization

/// One open image file: its object memory, its interpreters and its event bus.
///
/// There is no global image: open one with ``open(at:create:genesis:primitives:interpreters:limits:logger:)``
/// and pass it to whoever needs it. Several `Image`s on several files may be open at once.
public final class Image: Sendable {
    public let path: String
    public let memory: ObjectMemory
    public let events: EventBus
    public let limits: RunLimits
    private let interpreters: [Interpreter]
    private let nextInterpreter = Atomic<Int>(0)

    private init(path: String, memory: ObjectMemory, events: EventBus, limits: RunLimits, interpreters: [Interpreter]) {
        self.path = path
        self.memory = memory
        self.events = events
        self.limits = limits
        self.interpreters = interpreters
    }

    /// Opens (or, with `create`, creates from `genesis`) the image at `path`. Without a logger,
    /// only warnings are logged.
    public static func open(
        at path: String, create: Bool = true, genesis: Genesis? = nil, primitives: [HostPrimitive] = [],
        interpreters: Int = ProcessInfo.processInfo.activeProcessorCount, limits: RunLimits = .standard,
        logger: Logger? = nil
    ) async throws(ImageError) -> Image {
        let logger = logger ?? {
            var quiet = Logger(label: "a4ps.image")
            quiet.logLevel = .warning
            return quiet
        }()
        let store = try ImageStore.open(at: path, create: create)
        if let reason = store.openCheckReason {
            logger.notice("checked every page of \(path) before opening it, because \(reason)")
        }
        let events = EventBus()
        let memory: ObjectMemory
        do {
            memory = try ObjectMemory(store: store, events: events)
            if memory.snapshot().isEmpty {
                let protos: [Proto]
                if let genesis { protos = genesis.protos } else { protos = try Genesis.bundled().protos }
                try await memory.create(protos, author: .genesis, reason: "genesis")
            }
        } catch {
            store.close()
            throw error
        }
        var pool: [Interpreter] = []
        for _ in 0..<max(1, interpreters) {
            pool.append(try Interpreter(memory: memory, events: events, primitives: primitives, logger: logger))
        }
        return Image(path: path, memory: memory, events: events, limits: limits, interpreters: pool)
    }

    /// The image file's database, for modules that keep their own tables in it (the scrapbook),
    /// under migrations of their own prefix.
    public var database: DatabasePool { memory.store.database }

    /// Closes the file; the image must not be used afterwards.
    public func close() {
        events.finish()
        memory.store.close()
    }

    // MARK: Messages

    /// Sends a message and returns the answer. Slot writes made by the method (and the
    /// methods it sends to) are committed, in one transaction, before the answer returns;
    /// when it fails, nothing is changed. A selector nobody understands goes to
    /// `doesNotUnderstand`.
    public func send(_ receiver: String, _ selector: String, _ args: JSONValue = .null,
                     author: ChangeAuthor = .architect, limits: RunLimits? = nil) async throws(ImageError) -> JSONValue {
        let index = nextInterpreter.add(1, ordering: .relaxed).oldValue % interpreters.count
        return try await interpreters[index].send(receiver, selector, args, limits: limits ?? self.limits, author: author)
    }

    /// Sends a message and, once its method has answered, lets `completion` finish the work in
    /// the same transaction: it may send more through the ``SendScope`` (those sends see the
    /// staged slot writes, and theirs join), and its ``SendCompletion/write`` commits in the one
    /// SQLite transaction that commits the slot writes, after the governor admitted them. When
    /// anything fails, nothing is written. When the send runs again (its reads went stale), so
    /// does `completion`. Answers the completion's value.
    public func send<Value: Sendable>(
        _ receiver: String, _ selector: String, _ args: JSONValue = .null, author: ChangeAuthor = .architect,
        limits: RunLimits? = nil,
        completing completion: @escaping @Sendable (_ answer: JSONValue, _ scope: SendScope) async throws -> SendCompletion<Value>
    ) async throws -> Value {
        let index = nextInterpreter.add(1, ordering: .relaxed).oldValue % interpreters.count
        let (_, completed) = try await interpreters[index].send(receiver, selector, args, limits: limits ?? self.limits, author: author,
                                                               completing: completion)
        guard let completed else { preconditionFailure("a send with a completion answers the completion's value") }
        return completed
    }

    /// Sends a message to the image as it is except for `clone`, which stands in for its original
    /// (the Tool Forge and the debugger verify candidates this way). Nothing is committed.
    public func trial(_ clone: Proto, _ receiver: String, _ selector: String, _ args: JSONValue = .null,
                      limits: RunLimits? = nil) async throws(ImageError) -> JSONValue {
        let index = nextInterpreter.add(1, ordering: .relaxed).oldValue % interpreters.count
        return try await interpreters[index].send(receiver, selector, args, limits: limits ?? self.limits, author: .system,
                                                  trialClone: clone)
    }

    /// How many sends ran again because what they read changed before they could commit.
    func reruns() async -> Int {
        var total = 0
        for interpreter in interpreters { total += await interpreter.reruns }
        return total
    }

    /// The self-description of a proto, read directly (even when its `describe` method is broken).
    public func describe(_ name: String) throws(ImageError) -> JSONValue {
        let protos = memory.snapshot()
        guard let proto = protos[name] else { throw ImageError.noSuchProto(name) }
        return ProtoDescription.describe(proto, in: protos)
    }

    // MARK: Changes by the Architect, the forge or the debugger

    /// Installs or replaces a method: compiled first, then installed on the proto as the image
    /// file holds it when the change commits (another process's change is kept, never overwritten).
    @discardableResult
    public func defineMethod(_ selector: String, on protoName: String, source: String,
                             author: ChangeAuthor = .architect, reason: String = "") async throws(ImageError) -> ChangeRecord? {
        try await modify(protoName, author: author, reason: reason.isEmpty ? "define \(selector)" : reason) { (clone: inout Proto) throws(ImageError) in
            try Name.validate(selector, as: .selector)
            clone.define(selector, source: source)
        }
    }

    /// Removes a method.
    @discardableResult
    public func removeMethod(_ selector: String, from protoName: String, author: ChangeAuthor = .architect,
                             reason: String = "") async throws(ImageError) -> ChangeRecord? {
        try await modify(protoName, author: author, reason: reason.isEmpty ? "remove \(selector)" : reason) { (clone: inout Proto) throws(ImageError) in
            guard clone.methods.removeValue(forKey: selector) != nil else {
                throw ImageError(.noSuchMethod, "'\(protoName)' has no method '\(selector)'")
            }
        }
    }

    /// Sets (or, with `nil`, removes) a slot.
    @discardableResult
    public func setSlot(_ slot: String, of protoName: String, to value: JSONValue?, author: ChangeAuthor = .architect,
                        reason: String = "") async throws(ImageError) -> ChangeRecord? {
        try await modify(protoName, author: author, reason: reason.isEmpty ? "set \(slot)" : reason) { (clone: inout Proto) throws(ImageError) in
            try Name.validate(slot, as: .slot)
            clone.slots[slot] = value
        }
    }

    /// Reads a slot, along the parent chain; `nil` when no proto in the chain has it.
    public func slot(_ slot: String, of protoName: String) throws(ImageError) -> JSONValue? {
        let protos = memory.snapshot()
        guard protos[protoName] != nil else { throw ImageError.noSuchProto(protoName) }
        return ObjectMemory.inheritedSlot(slot, of: protoName, in: protos)
    }

    /// Applies `change` to the proto as the image file holds it when the change commits (after
    /// other processes' changes), so that a change made here never overwrites one made there.
    private func modify(_ protoName: String, author: ChangeAuthor, reason: String,
                        _ change: sending @escaping (inout Proto) throws(ImageError) -> Void) async throws(ImageError) -> ChangeRecord? {
        try await memory.update(protoName, author: author, reason: reason, change)
    }

    // MARK: History

    /// One page of the change log (oldest first): the last `limit` changes before change
    /// `before` (the newest when nil), optionally for one proto and one subject. To page back,
    /// pass the first id of a page as the next call's `before`.
    public func history(proto: String? = nil, subject: String? = nil, limit: Int = 100, before: Int64? = nil) throws(ImageError) -> [ChangeRecord] {
        try memory.store.history(proto: proto, subject: subject, limit: limit, before: before)
    }

    /// Restores a proto as it was right after change `changeID`, as a new logged change.
    @discardableResult
    public func rollback(_ protoName: String, toChange changeID: Int64, author: ChangeAuthor = .architect,
                         reason: String = "") async throws(ImageError) -> ChangeRecord {
        try await memory.rollback(protoName, toChange: changeID, author: author, reason: reason)
    }

    /// Writes a consistent single-file copy of the image, while it stays in use.
    public func export(to destination: String) throws(ImageError) {
        try memory.store.export(to: destination)
    }
}
