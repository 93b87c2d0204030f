import BlockingWork
import Foundation
import GRDB
import HashTreeCollections
import Synchronization

/// Every proto of an image by name: a persistent hash map, so publishing a snapshot after a
/// change and changing it again costs O(log n), not a copy of the whole image.
public typealias ProtoTable = TreeDictionary<String, Proto>

/// The object memory: the current value of every proto, and the only place protos change.
///
/// Every change — a swap, a method call's slot writes, a rollback — is validated, then its
/// rows and change-log entry commit in one SQLite transaction, and only then does the new
/// value become visible. Readers take a ``snapshot()`` without waiting for the actor and always
/// see whole protos.
///
/// Other processes may change the same file. Each commit first loads, in its own write
/// transaction, the protos they changed since this memory last looked (from the change log), so
/// it validates against the file as it is; ``catchUp()`` does the same between commits, and
/// ``ExternalChangeProbe`` tells cheaply when it is needed.
public actor ObjectMemory {
    static let maxParentChain = 32
    /// The largest slot value, as JSON text.
    public static let maxSlotBytes = 4 << 20

    nonisolated let store: ImageStore
    private let events: EventBus
    /// Consulted by every commit: who may write what (see ``Governor``).
    nonisolated let governor: Governor
    /// Who tells the governor about models (the runtime's model servers); nil: nobody, so a
    /// loop's rebinding of a persona's model is refused as an unknown model.
    nonisolated let modelFacts = Mutex<(any ModelFactsResolver)?>(nil)
    /// How many times a commit may ask ``modelFacts`` before the governor decides with what it knows.
    static let maxFactRounds = 3
    private let published: Mutex<ProtoTable>
    private var protos: ProtoTable
    /// The newest change-log entry `protos` includes.
    private var lastChange: Int64
    private let checker: LuaVM
    /// Runs this actor's blocking work (see ``DedicatedThreadExecutor``) off the cooperative pool.
    private let executor: DedicatedThreadExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    init(store: ImageStore, events: EventBus) throws(ImageError) {
        executor = DedicatedThreadExecutor(name: "a4ps.object-memory")
        self.store = store
        self.events = events
        governor = Governor(events: events, store: store)
        let (loaded, last) = try store.loadProtos()
        protos = ProtoTable(loaded)
        lastChange = last
        published = Mutex(protos)
        checker = try LuaVM(memoryLimit: 64 << 20)
    }

    // MARK: Other processes' changes

    /// Whether another process (or another connection) committed changes this memory has not
    /// loaded yet: a cheap check, to make before a send.
    nonisolated func hasExternalChanges() -> Bool {
        store.changeProbe.hasNewChanges()
    }

    /// Loads the protos other processes changed since this memory last looked (only those),
    /// so that the next send sees them.
    func catchUp() throws(ImageError) {
        let seen = lastChange
        let changed: (protos: [String: Proto], names: Set<String>, lastChange: Int64)
        do {
            changed = try store.database.read { db in
                let (names, last) = try store.protosChanged(after: seen, in: db)
                return (names.isEmpty ? [:] : try store.loadProtos(named: names, in: db), names, last)
            }
        } catch {
            throw ImageError(.storage, "cannot read the changes other processes made to \(store.path): \(error)")
        }
        guard changed.lastChange > seen else { return }
        for name in changed.names { protos[name] = changed.protos[name] }
        lastChange = changed.lastChange
        publish()
    }

    private func publish() {
        let snapshot = protos
        published.withLock { $0 = snapshot }
        store.changeProbe.saw(lastChange)
    }

    /// Every proto as of the last commit, without waiting for the actor.
    public nonisolated func snapshot() -> ProtoTable {
        published.withLock { $0 }
    }

    /// One proto as of the last commit.
    public nonisolated func proto(named name: String) -> Proto? {
        published.withLock { $0[name] }
    }

    // MARK: Changes

    /// Adds a new proto to the image.
    @discardableResult
    public func create(_ proto: Proto, author: ChangeAuthor, reason: String) async throws(ImageError) -> ChangeRecord {
        try await create([proto], author: author, reason: reason)[0]
    }

    /// Adds several new protos in one transaction (parents before children): all or none.
    @discardableResult
    public func create(_ newProtos: [Proto], author: ChangeAuthor, reason: String) async throws(ImageError) -> [ChangeRecord] {
        try await commit { (protos) throws(ImageError) in
            var pending: [ImageStore.PendingChange] = []
            var adding: Set<String> = []
            for proto in newProtos {
                try Name.validate(proto.name, as: .proto)
                guard protos[proto.name] == nil, adding.insert(proto.name).inserted else {
                    throw ImageError(.protoExists, "a proto named '\(proto.name)' already exists")
                }
                var new = proto
                new.version = 1
                new.methods = new.methods.mapValues { var m = $0; m.version = 1; return m }
                try validate(new, previous: nil, in: protos, alsoExisting: adding)
                pending.append(ImageStore.PendingChange(proto: new, kind: "create", author: author, reason: reason,
                                                        deltas: Self.deltas(from: nil, to: new)))
            }
            return pending
        }
    }

    /// Replaces a proto with a modified clone if, and only if, it is still at `expecting`;
    /// otherwise nothing changes and a `conflict` error is thrown. Returns `nil` when the clone
    /// changes nothing. `alongside` writes in the same transaction (a record of why the swap
    /// happened): when it throws, nothing is committed.
    @discardableResult
    public func swap(_ clone: Proto, expecting version: Int64, author: ChangeAuthor, reason: String,
                     kind: String = "swap", alongside: (@Sendable (Database) throws -> Void)? = nil) async throws(ImageError) -> ChangeRecord? {
        try await commit(alongside: alongside) { (protos) throws(ImageError) in
            guard let current = protos[clone.name] else { throw ImageError.noSuchProto(clone.name) }
            guard current.version == version else { throw ImageError.conflict(clone.name, expected: version, actual: current.version) }
            return try prepareSwap(from: current, to: clone, kind: kind, author: author, reason: reason, in: protos)
        }.first
    }

    /// Applies `change` to the proto as the file holds it when the change commits, and commits
    /// the result: a change that does not depend on an earlier clone never conflicts. Returns
    /// `nil` when it changes nothing.
    @discardableResult
    public func update(_ name: String, author: ChangeAuthor, reason: String,
                       _ change: (inout Proto) throws(ImageError) -> Void) async throws(ImageError) -> ChangeRecord? {
        try await commit { (protos) throws(ImageError) in
            guard let current = protos[name] else { throw ImageError.noSuchProto(name) }
            var new = current
            try change(&new)
            return try prepareSwap(from: current, to: new, kind: "swap", author: author, reason: reason, in: protos)
        }.first
    }

    /// The change that replaces `current` by `clone` (nothing when they are the same), validated.
    private func prepareSwap(from current: Proto, to clone: Proto, kind: String, author: ChangeAuthor, reason: String,
                             in protos: ProtoTable) throws(ImageError) -> [ImageStore.PendingChange] {
        var new = clone
        new.version = current.version + 1
        for (selector, method) in new.methods {
            if let old = current.methods[selector], old.source == method.source {
                new.methods[selector]!.version = old.version
            } else {
                new.methods[selector]!.version = (current.methods[selector]?.version ?? 0) + 1
            }
        }
        let deltas = Self.deltas(from: current, to: new)
        guard !deltas.isEmpty else { return [] }
        try validate(new, previous: current, in: protos)
        return [ImageStore.PendingChange(proto: new, kind: kind, author: author, reason: reason, deltas: deltas)]
    }

    /// Commits the slot writes of a method call (all protos it touched) in one transaction, if
    /// every slot it read still holds what it read (`reads`: proto → slot → the value seen
    /// through the parent chain, `nil` for none); otherwise throws a `conflict` and changes
    /// nothing. Slots it wrote without reading them are simply set. `alongside` writes the
    /// caller's own rows in the same transaction (a deliberation node's checkpoint), after the
    /// slot writes passed the governor; when it throws, nothing is committed.
    @discardableResult
    func commitSlotWrites(_ writes: [String: [String: JSONValue?]], reads: [String: [String: JSONValue?]],
                          author: ChangeAuthor, reason: String,
                          alongside: (@Sendable (Database) throws -> Void)? = nil) async throws(ImageError) -> [ChangeRecord] {
        try await commit(alongside: alongside) { (protos) throws(ImageError) in
            for (name, slots) in reads {
                for (slot, seen) in slots where Self.inheritedSlot(slot, of: name, in: protos) != seen {
                    throw ImageError(.conflict, "\(reason) read slot '\(slot)' of \(name), and another send changed it "
                        + "before this one could commit: nothing was committed")
                }
            }
            var pending: [ImageStore.PendingChange] = []
            for (name, slots) in writes.sorted(by: { $0.key < $1.key }) {
                guard let current = protos[name] else { throw ImageError.noSuchProto(name) }
                var new = current
                for (slot, value) in slots { new.slots[slot] = value }
                new.version = current.version + 1
                let deltas = Self.deltas(from: current, to: new)
                if deltas.isEmpty { continue }
                pending.append(ImageStore.PendingChange(proto: new, kind: "slots", author: author, reason: reason, deltas: deltas))
            }
            return pending
        }
    }

    /// Restores a proto as it was right after change `changeID` — itself a new, logged change.
    @discardableResult
    public func rollback(_ name: String, toChange changeID: Int64, author: ChangeAuthor,
                         reason: String) async throws(ImageError) -> ChangeRecord {
        try catchUp()
        guard let current = protos[name] else { throw ImageError.noSuchProto(name) }
        guard var target = try store.state(of: name, afterChange: changeID) else {
            throw ImageError(.rollback, "'\(name)' did not exist after change \(changeID); choose a later change")
        }
        target.version = current.version
        let why = reason.isEmpty ? "rollback to change \(changeID)" : reason
        guard let record = try await swap(target, expecting: current.version, author: author, reason: why, kind: "rollback") else {
            throw ImageError(.rollback, "'\(name)' is already as it was after change \(changeID)")
        }
        events.publish(.rolledBack(proto: name, toChange: changeID, change: record.id))
        return record
    }

    /// What the transaction of one attempt at a commit came to.
    private enum Outcome {
        case committed(changes: [ImageStore.PendingChange], records: [ChangeRecord])
        case refused([Governor.Veto])
        case needsFacts([Governor.ModelQuery])
    }

    /// What one attempt at a commit came to.
    private enum Attempt {
        case committed([ChangeRecord])
        /// The governor needs the facts about these models to judge the change: nothing was written.
        case needsFacts([Governor.ModelQuery])
    }

    /// Commits what `build` makes of the protos as the file holds them now (see
    /// ``attemptCommit(alongside:models:mayAsk:_:)``). When the change binds a persona to a model
    /// whose facts the governor needs, they are asked for outside the transaction and the commit
    /// is attempted again — `build` then sees the file as it is by then.
    private func commit(alongside: (@Sendable (Database) throws -> Void)? = nil,
                        _ build: (ProtoTable) throws(ImageError) -> [ImageStore.PendingChange]) async throws(ImageError) -> [ChangeRecord] {
        var models: [Governor.ModelQuery: ModelLookup] = [:]
        var round = 0
        while true {
            round += 1
            switch try attemptCommit(alongside: alongside, models: models, mayAsk: round <= Self.maxFactRounds, build) {
            case .committed(let records):
                return records
            case .needsFacts(let queries):
                let resolver = modelFacts.withLock { $0 }
                for query in queries {
                    models[query] = await resolver?.facts(about: query.model, for: query.persona)
                        ?? .unknown(reason: "this image was opened without a4ps's runtime, whose model servers tell the governor about models")
                }
            }
        }
    }

    /// One attempt at a commit. In one write transaction (other processes wait): the protos other
    /// processes changed since this memory last looked are loaded first, then `build` validates
    /// and prepares the changes, the governor admits them or vetoes them (a veto is written to
    /// its audit trail, and the transaction commits that alone), then their rows and change-log
    /// entries are written, then `alongside` writes the caller's rows. What was loaded stays
    /// loaded even when `build` or the governor refuses. With `mayAsk`, a change binding a
    /// persona to a model not in `models` writes nothing and answers the models to ask about.
    private func attemptCommit(alongside: (@Sendable (Database) throws -> Void)?, models: [Governor.ModelQuery: ModelLookup], mayAsk: Bool,
                               _ build: (ProtoTable) throws(ImageError) -> [ImageStore.PendingChange]) throws(ImageError) -> Attempt {
        let date = Date()
        let seen = lastChange
        var latest = protos
        var caughtUp = seen
        let outcome: Result<Outcome, ImageError>
        do throws(ImageError) {
            outcome = try store.writing { db throws -> Result<Outcome, ImageError> in
                let changed = try store.protosChanged(after: seen, in: db)
                if changed.lastChange > seen {
                    let fresh = try store.loadProtos(named: changed.names, in: db)
                    for name in changed.names { latest[name] = fresh[name] }
                    caughtUp = changed.lastChange
                }
                let built = Result { () throws(ImageError) -> [ImageStore.PendingChange] in try build(latest) }
                guard case .success(let changes) = built else { return built.map { .committed(changes: $0, records: []) } }
                if !changes.isEmpty {
                    // Every change passes the governor, by the rules of the codex as the file holds it now.
                    let proposals = changes.map(\.proposal)
                    let unknown = proposals.flatMap(Governor.modelQueries).filter { models[$0] == nil }
                    if mayAsk, !unknown.isEmpty { return .success(.needsFacts(unknown)) }
                    let vetoes = Governor.vetoes(proposals, rules: GovernanceRules(in: latest), models: models)
                    if !vetoes.isEmpty {
                        // Refused: only the refusal is written, and the transaction commits it.
                        try governor.record(vetoes, at: date, in: db)
                        return .success(.refused(vetoes))
                    }
                }
                let records = try changes.map { try store.write($0, at: date, in: db) }
                try alongside?(db)
                return .success(.committed(changes: changes, records: records))
            }
        } catch where error.code == .conflict {
            try reload()
            throw error
        }
        if caughtUp > seen {
            protos = latest
            lastChange = caughtUp
        }
        let (changes, records): ([ImageStore.PendingChange], [ChangeRecord])
        switch outcome {
        case .failure(let error):
            if caughtUp > seen { publish() }
            throw error
        case .success(Outcome.refused(let vetoes)):
            if caughtUp > seen { publish() }
            throw governor.published(vetoes)
        case .success(Outcome.needsFacts(let queries)):
            if caughtUp > seen { publish() }
            return .needsFacts(queries)
        case .success(Outcome.committed(let committed, let written)):
            (changes, records) = (committed, written)
        }
        for change in changes { protos[change.proto.name] = change.proto }
        if let last = records.last { lastChange = last.id }
        publish()
        for (change, record) in zip(changes, records) { publishEvents(for: record, previousVersion: change.proto.version - 1) }
        return .committed(records)
    }

    /// Rereads every proto from the file (after another process changed it).
    private func reload() throws(ImageError) {
        let (loaded, last) = try store.loadProtos()
        protos = ProtoTable(loaded)
        lastChange = last
        publish()
    }

    private func publishEvents(for record: ChangeRecord, previousVersion: Int64) {
        if record.kind == "create" {
            events.publish(.protoCreated(proto: record.proto, change: record.id))
        } else {
            events.publish(.protoSwapped(proto: record.proto, fromVersion: previousVersion, toVersion: record.protoVersion,
                                         change: record.id, author: record.author))
        }
        for delta in record.deltas {
            if delta.subject.hasPrefix("method:") {
                let selector = String(delta.subject.dropFirst(7))
                if delta.after == nil {
                    events.publish(.methodRemoved(proto: record.proto, selector: selector, change: record.id))
                } else {
                    let version = protos[record.proto]?.methods[selector]?.version ?? 0
                    events.publish(.methodInstalled(proto: record.proto, selector: selector, version: version, change: record.id))
                }
            } else if delta.subject.hasPrefix("slot:") {
                events.publish(.slotChanged(proto: record.proto, slot: String(delta.subject.dropFirst(5)), change: record.id))
            }
        }
    }

    // MARK: Validation

    private func validate(_ new: Proto, previous: Proto?, in protos: ProtoTable, alsoExisting: Set<String> = []) throws(ImageError) {
        if let parent = new.parent, !alsoExisting.contains(parent) {
            try Name.validate(parent, as: .proto)
            var seen: Set<String> = [new.name]
            var next: String? = parent
            while let name = next {
                guard let p = protos[name] else {
                    throw ImageError(.noSuchProto, "parent '\(name)' of '\(new.name)' is not in the image")
                }
                guard seen.insert(name).inserted, seen.count <= Self.maxParentChain else {
                    throw ImageError(.invalidValue, "parent '\(parent)' would make a cycle (or a chain longer than \(Self.maxParentChain))")
                }
                next = p.parent
            }
        }
        for (slot, value) in new.slots where previous?.slots[slot] != value {
            try Name.validate(slot, as: .slot)
            try Self.checkSlotValue(value, slot: slot)
        }
        for (selector, method) in new.methods where previous?.methods[selector]?.source != method.source {
            try Name.validate(selector, as: .selector)
            try checker.checkSyntax(method.source, name: "\(new.name)>>\(selector)")
        }
    }

    static func checkSlotValue(_ value: JSONValue, slot: String) throws(ImageError) {
        let size = value.jsonText.utf8.count
        guard size <= maxSlotBytes else {
            throw ImageError(.invalidValue, "slot '\(slot)' would hold \(size) bytes; slots are limited to \(maxSlotBytes >> 20) MiB")
        }
    }

    /// The value of `slot` for `receiver`: its own, else the nearest ancestor's; nil when none has it.
    static func inheritedSlot(_ slot: String, of receiver: String, in protos: ProtoTable) -> JSONValue? {
        var name: String? = receiver
        var hops = 0
        while let current = name, let proto = protos[current], hops < maxParentChain {
            if let value = proto.slots[slot] { return value }
            name = proto.parent
            hops += 1
        }
        return nil
    }

    /// Finds the method answering `selector` for `receiver`, along its parent chain.
    static func lookup(_ selector: String, from receiver: String, in protos: ProtoTable) -> (owner: String, method: MethodSource)? {
        var name: String? = receiver
        var hops = 0
        while let current = name, let proto = protos[current], hops < maxParentChain {
            if let method = proto.methods[selector] { return (current, method) }
            name = proto.parent
            hops += 1
        }
        return nil
    }

    /// The parts that differ between two values of a proto.
    static func deltas(from old: Proto?, to new: Proto) -> [ChangeRecord.Delta] {
        var deltas: [ChangeRecord.Delta] = []
        if old == nil { deltas.append(.init(subject: "proto", before: nil, after: .string(new.name))) }
        if old?.parent != new.parent {
            deltas.append(.init(subject: "parent", before: old?.parent.map { .string($0) }, after: new.parent.map { .string($0) }))
        }
        if (old?.codex ?? .null) != new.codex {
            deltas.append(.init(subject: "codex", before: old?.codex, after: new.codex))
        }
        let oldSlots = old?.slots ?? [:]
        for key in Set(oldSlots.keys).union(new.slots.keys).sorted() where oldSlots[key] != new.slots[key] {
            deltas.append(.init(subject: "slot:" + key, before: oldSlots[key], after: new.slots[key]))
        }
        let oldMethods = old?.methods ?? [:]
        for key in Set(oldMethods.keys).union(new.methods.keys).sorted() where oldMethods[key]?.source != new.methods[key]?.source {
            deltas.append(.init(subject: "method:" + key, before: oldMethods[key].map { .string($0.source) },
                                after: new.methods[key].map { .string($0.source) }))
        }
        return deltas
    }
}
