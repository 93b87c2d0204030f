import BlockingWork
import CLuaShim
import Foundation
import GRDB
import Logging

/// Runs message sends: looks methods up along the parent chain, runs their Lua in its own VM,
/// serves host calls (async ones by yielding the coroutine) and commits a send's slot writes
/// when the top-level method returns normally.
///
/// Each interpreter owns one `lua_State`; an ``Image`` keeps a pool of them to use every core.
/// While one coroutine awaits the host, another send may run on the same VM.
actor Interpreter {
    /// Runs this actor's blocking work (see ``DedicatedThreadExecutor``) off the cooperative pool.
    private let executor: DedicatedThreadExecutor
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    enum Opcode: Int32 {
        case log = 1, emit, jsonEncode, jsonDecode, slotGet, slotSet, describe, send, sleep
        static let firstPrimitive: Int32 = 100
    }

    private enum PendingRequest {
        case send(receiver: String, selector: String, args: JSONValue)
        case sleep(seconds: Double)
        case primitive(index: Int, args: [JSONValue])
    }

    private struct RunFrame {
        let receiver: String
        let selector: String
        let depth: Int
        let transaction: SendTransaction
        var pending: PendingRequest?
    }

    private let memory: ObjectMemory
    private let events: EventBus
    private let primitives: [HostPrimitive]
    private let logger: Logger
    private let vm: LuaVM
    private let hostContext: HostContext
    private var runs: [Int: RunFrame] = [:]
    /// The transactions of sends whose completion runs, by ``SendScope`` id.
    private var scopes: [Int: (transaction: SendTransaction, limits: RunLimits)] = [:]
    private var nextToken = 1

    init(memory: ObjectMemory, events: EventBus, primitives: [HostPrimitive], logger: Logger,
         vmMemoryLimit: Int = 512 << 20) throws(ImageError) {
        executor = DedicatedThreadExecutor(name: "a4ps.interpreter")
        self.memory = memory
        self.events = events
        self.primitives = primitives
        self.logger = logger
        var ops: [(name: String, opcode: Int32)] = [
            ("log", Opcode.log.rawValue), ("emit", Opcode.emit.rawValue),
            ("json_encode", Opcode.jsonEncode.rawValue), ("json_decode", Opcode.jsonDecode.rawValue),
            ("slot_get", Opcode.slotGet.rawValue), ("slot_set", Opcode.slotSet.rawValue),
            ("describe", Opcode.describe.rawValue), ("send", Opcode.send.rawValue), ("sleep", Opcode.sleep.rawValue),
        ]
        for (i, p) in primitives.enumerated() { ops.append((p.name, Opcode.firstPrimitive + Int32(i))) }
        let box = HostContext()
        hostContext = box
        vm = try LuaVM(memoryLimit: vmMemoryLimit, host: interpreterHostCallback,
                       context: Unmanaged.passUnretained(box).toOpaque(), hostOps: ops)
        box.interpreter = self
    }

    // MARK: Sends

    /// How many times a send whose reads went stale runs before it fails with a conflict.
    static let maxAttempts = 16

    /// Sends `selector` to `receiver` as a top-level send: one transaction for it and its
    /// nested sends; the answer comes back after its slot writes are committed.
    ///
    /// The send first loads what other processes committed meanwhile. Its commit checks that
    /// every slot it read still holds what it read; when one does not (a concurrent send
    /// committed first), the send runs again from the start, up to ``maxAttempts`` times after
    /// random, growing pauses — unless it made an effect outside the image (`emit`, a model call,
    /// `memory.add`, ...: see ``HostPrimitive/repeatable``), which must not happen twice: then it
    /// fails with a `conflict` and nothing is committed. Every attempt shares the send's deadline.
    func send(_ receiver: String, _ selector: String, _ args: JSONValue, limits: RunLimits,
              author: ChangeAuthor, trialClone: Proto? = nil) async throws(ImageError) -> JSONValue {
        do {
            return try await send(receiver, selector, args, limits: limits, author: author, trialClone: trialClone,
                                  completing: nil as Completion<JSONValue>?).answer
        } catch let error as ImageError {
            throw error
        } catch {
            throw ImageError(.methodFailed, "\(receiver)>>\(selector) failed: \(error)")   // only a completion throws others
        }
    }

    /// What finishes a send after its method answered, before its commit (see ``SendCompletion``).
    typealias Completion<Value: Sendable> = @Sendable (_ answer: JSONValue, _ scope: SendScope) async throws -> SendCompletion<Value>

    /// A top-level send as above; with a `completion`, that runs (again on every attempt) once the
    /// method has answered, may send more within the transaction, and its write commits with the
    /// send's slot writes. Throws what the completion throws, and ``ImageError``s.
    func send<Value: Sendable>(_ receiver: String, _ selector: String, _ args: JSONValue, limits: RunLimits,
                               author: ChangeAuthor, trialClone: Proto? = nil,
                               completing completion: Completion<Value>?) async throws -> (answer: JSONValue, completed: Value?) {
        try Name.validate(receiver, as: .proto)
        try Name.validate(selector, as: .selector)
        let deadline = a4_now() + limits.wallClockSeconds
        var attempt = 1
        while true {
            // Each attempt starts from what other processes committed meanwhile.
            await seeOtherProcessesChanges()
            let transaction = SendTransaction(limits: limits, memoryInUse: vm.memoryUsed, author: author,
                                              trialClone: trialClone, deadline: deadline)
            do {
                let answer = try await dispatch(receiver, selector, args, transaction: transaction, depth: 0, limits: limits)
                var completed: SendCompletion<Value>?
                if let completion { completed = try await complete(answer, transaction, limits, completion) }
                if trialClone == nil && (!transaction.writes.isEmpty || completed?.write != nil) {
                    guard try await commitOrRerun(transaction, receiver, selector, alongside: completed?.write, attempt: attempt,
                                                  deadline: deadline, limits: limits) else {
                        attempt += 1
                        continue
                    }
                }
                return (answer, completed?.value)
            } catch {
                let code = (error as? ImageError)?.code
                if code == .killed || code == .outOfMemory { vm.collectGarbage() }
                if code != .interrupted && trialClone == nil {
                    events.publish(.sendFailed(proto: receiver, selector: selector, error: "\(error)"))
                }
                logger.info("send failed", metadata: ["receiver": "\(receiver)", "selector": "\(selector)", "error": "\(error)"])
                throw error
            }
        }
    }

    /// Sends in the transaction of a send whose completion runs (``SendScope``), as if its method had sent them.
    func send(within scope: Int, _ receiver: String, _ selector: String, _ args: JSONValue) async throws(ImageError) -> JSONValue {
        guard let (transaction, limits) = scopes[scope] else {
            throw ImageError(.methodFailed, "\(receiver)>>\(selector) was sent through the scope of a send that has ended: "
                + "send within a scope only while its completion runs")
        }
        try Name.validate(receiver, as: .proto)
        try Name.validate(selector, as: .selector)
        return try await dispatch(receiver, selector, args, transaction: transaction, depth: 0, limits: limits)
    }

    /// Runs a send's completion with a scope open on its transaction.
    private func complete<Value: Sendable>(_ answer: JSONValue, _ transaction: SendTransaction, _ limits: RunLimits,
                                           _ completion: Completion<Value>) async throws -> SendCompletion<Value> {
        let scope = nextToken
        nextToken += 1
        scopes[scope] = (transaction, limits)
        defer { scopes[scope] = nil }
        return try await completion(answer, SendScope(interpreter: self, id: scope))
    }

    /// Sends re-run because their reads went stale, since this interpreter started.
    private(set) var reruns = 0

    /// Commits the send's slot writes with the completion's write (`alongside`). A send that
    /// wrote no slot is as free of conflicts as one that commits nothing: its reads are not checked.
    private func commit(_ transaction: SendTransaction, _ receiver: String, _ selector: String,
                        alongside: (@Sendable (Database) throws -> Void)?) async throws(ImageError) {
        let wrote = !transaction.writes.isEmpty
        if wrote && transaction.readsDiverged {
            throw ImageError(.conflict, "\(receiver)>>\(selector) read a slot twice and got two values (another send "
                + "committed in between): nothing was committed")
        }
        try await memory.commitSlotWrites(transaction.writes, reads: wrote ? transaction.reads : [:], author: transaction.author,
                                          reason: "\(receiver)>>\(selector)", alongside: alongside)
    }

    /// Commits the send and answers true; answers false when its reads went stale and it may run
    /// again, after a random pause that doubles with each attempt (up to a quarter second), so
    /// that sends racing for the same slots spread out until one at a time wins.
    private func commitOrRerun(_ transaction: SendTransaction, _ receiver: String, _ selector: String,
                        alongside: (@Sendable (Database) throws -> Void)?, attempt: Int, deadline: Double,
                        limits: RunLimits) async throws(ImageError) -> Bool {
        do {
            try await commit(transaction, receiver, selector, alongside: alongside)
            return true
        } catch where error.code == .conflict {
            try staleReads(transaction, receiver, selector, attempt: attempt, error: error)
            reruns += 1
            logger.info("re-running a send whose reads went stale",
                        metadata: ["receiver": "\(receiver)", "selector": "\(selector)", "attempt": "\(attempt + 1)"])
            try? await Task.sleep(for: .microseconds(Int.random(in: 0...min(250_000, 500 << (attempt + 1)))))
            try checkTime(deadline, receiver, selector, limits, attempts: attempt)
            return false
        }
    }

    /// Throws the conflict a send with stale reads ends with, unless it may run again.
    private func staleReads(_ transaction: SendTransaction, _ receiver: String, _ selector: String, attempt: Int,
                            error: ImageError) throws(ImageError) {
        if let effect = transaction.effect {
            throw ImageError(.conflict, "\(error.description). \(receiver)>>\(selector) was not run again because it "
                + "already called \(effect), which must not happen twice: send it again")
        }
        if attempt >= Self.maxAttempts {
            throw ImageError(.conflict, "\(error.description). \(receiver)>>\(selector) ran \(attempt) times and other "
                + "sends changed what it read each time: send it again later, or have fewer sends write the same slots at once")
        }
    }

    /// Throws when a send that waits to run again has passed its deadline.
    private func checkTime(_ deadline: Double, _ receiver: String, _ selector: String, _ limits: RunLimits,
                           attempts: Int) throws(ImageError) {
        guard a4_now() > deadline else { return }
        throw ImageError(.killed, "\(receiver)>>\(selector) ran past its deadline of \(limits.wallClockSeconds) s while other "
            + "sends kept changing what it read (\(attempts) attempts); nothing was committed")
    }

    /// Loads what other processes committed since the image last looked, when the cheap check
    /// says there is something; a file that cannot be read leaves the send on what it has.
    private func seeOtherProcessesChanges() async {
        guard memory.hasExternalChanges() else { return }
        do {
            try await memory.catchUp()
        } catch {
            logger.warning("cannot load other processes' changes", metadata: ["error": "\(error.description)"])
        }
    }

    private func dispatch(_ receiver: String, _ selector: String, _ args: JSONValue, transaction: SendTransaction,
                          depth: Int, limits: RunLimits) async throws(ImageError) -> JSONValue {
        guard depth < limits.maxSendDepth else {
            throw ImageError(.sendDepthExceeded, "sends nested deeper than \(limits.maxSendDepth) (\(receiver)>>\(selector)): "
                + "a method probably sends to itself without end")
        }
        let protos = self.protos(for: transaction)
        guard protos[receiver] != nil else { throw ImageError.noSuchProto(receiver) }
        if let (owner, method) = ObjectMemory.lookup(selector, from: receiver, in: protos) {
            return try await execute(method, owner: owner, receiver: protos[receiver]!, selector: selector, args: args,
                                     transaction: transaction, depth: depth, limits: limits)
        }
        if transaction.trialClone == nil { events.publish(.notUnderstood(proto: receiver, selector: selector)) }
        let message: JSONValue = ["selector": .string(selector), "args": args]
        if selector != "doesNotUnderstand",
           let (owner, handler) = ObjectMemory.lookup("doesNotUnderstand", from: receiver, in: protos) {
            return try await execute(handler, owner: owner, receiver: protos[receiver]!, selector: "doesNotUnderstand",
                                     args: message, transaction: transaction, depth: depth, limits: limits)
        }
        return ["status": "not understood", "receiver": .string(receiver), "selector": .string(selector), "args": args]
    }

    private func execute(_ method: MethodSource, owner: String, receiver proto: Proto, selector: String, args: JSONValue,
                         transaction: SendTransaction, depth: Int, limits: RunLimits) async throws(ImageError) -> JSONValue {
        let receiver = proto.name
        let L = vm.state
        let functionRef = try vm.compiledMethod(method.source, name: "\(owner)>>\(method.selector)")
        let co = a4_new_run_thread(vm.raw)!
        let threadRef = luaL_ref(L, a4_registry_index())
        defer { luaL_unref(L, a4_registry_index(), threadRef) }

        lua_rawgeti(co, a4_registry_index(), lua_Integer(functionRef))
        a4_push_run_env(vm.raw)
        a4_push_make_self(vm.raw)
        LuaStack.pushString(receiver, on: L)
        guard lua_pcallk(L, 1, 1, 0, 0, nil) == LUA_OK else {
            a4_pop(L, 2)
            throw ImageError(.methodFailed, "cannot make self for \(receiver)")
        }
        lua_xmove(L, co, 2)
        try fits(args, transaction)
        LuaStack.push(args, on: co, topLevel: true)

        let token = nextToken
        nextToken += 1
        runs[token] = RunFrame(receiver: receiver, selector: selector, depth: depth, transaction: transaction)
        defer { runs[token] = nil }

        var nargs: Int32 = 3
        while true {
            var nresults: Int32 = 0
            let status = a4_resume(vm.raw, co, transaction.budget, token, nargs, &nresults)
            switch status {
            case LUA_OK:
                defer { lua_settop(co, 0) }
                guard nresults > 0 else { return .null }
                var meter = ValueMeter(transaction)
                do {
                    return try LuaStack.read(at: -nresults, on: co, meter: &meter)
                } catch {
                    switch error.code {
                    case .killed: throw killed(transaction, owner, method.selector, limits)
                    case .outOfMemory:
                        throw ImageError(.outOfMemory, "\(owner)>>\(method.selector) answered a value larger than the send's "
                            + "memory cap (\(limits.memoryBytes >> 20) MiB); the image is unchanged")
                    default:
                        throw ImageError(.invalidValue, "\(owner)>>\(method.selector) answered something that is not JSON: \(error.description)")
                    }
                }
            case LUA_YIELD:
                if transaction.killReason != A4_KILL_NONE { throw killed(transaction, owner, method.selector, limits) }
                guard let request = runs[token]?.pending else {
                    throw ImageError(.methodFailed, "\(owner)>>\(method.selector) yielded without a host request")
                }
                runs[token]?.pending = nil
                lua_settop(co, 0)
                let outcome = await perform(request, transaction: transaction,
                                            context: SendContext(receiver: receiver, selector: selector, depth: depth, proto: proto,
                                                                        trialClone: transaction.trialClone),
                                            limits: limits)
                switch outcome {
                case .success(let value):
                    do {
                        try fits(value, transaction)
                        lua_pushboolean(co, 1)
                        LuaStack.push(value, on: co, topLevel: true)
                    } catch {
                        if error.code == .killed { throw killed(transaction, owner, method.selector, limits) }
                        lua_pushboolean(co, 0)
                        LuaStack.pushString(error.description, on: co)
                    }
                case .failure(let error) where error.code.endsTheWholeSend:
                    throw error
                case .failure(let error):
                    lua_pushboolean(co, 0)
                    LuaStack.pushString(error.description, on: co)
                }
                nargs = 2
            default:
                // A limit that struck inside a C call (a metamethod run by `tostring`, say) cannot
                // yield there and surfaces as an error: it is still the limit that ended the send.
                if transaction.killReason != A4_KILL_NONE { throw killed(transaction, owner, method.selector, limits) }
                let message = LuaStack.errorMessage(at: -1, on: co)
                a4_push_traceback(vm.raw, co, nil)
                let traceback = LuaStack.errorMessage(at: -1, on: L)
                a4_pop(L, 1)
                if status != LUA_ERRMEM && transaction.trialClone == nil {
                    events.publish(.methodRaised(proto: receiver, selector: method.selector, owner: owner, args: args,
                                                 error: message, traceback: traceback))
                }
                if status == LUA_ERRMEM {
                    throw ImageError(.outOfMemory, "\(owner)>>\(method.selector) ran out of memory "
                        + "(limit \(limits.memoryBytes >> 20) MiB per send); the image is unchanged")
                }
                throw ImageError(.methodFailed, "\(owner)>>\(method.selector) raised: \(message)", traceback: traceback)
            }
        }
    }

    private func killed(_ transaction: SendTransaction, _ owner: String, _ selector: String, _ limits: RunLimits) -> ImageError {
        let why = switch transaction.killReason {
        case A4_KILL_INSTRUCTIONS: "used its budget of \(limits.instructions) instructions (an endless loop?)"
        case A4_KILL_DEADLINE: "ran past its deadline of \(limits.wallClockSeconds) s"
        default: "was stopped"
        }
        return ImageError(.killed, "\(owner)>>\(selector) \(why); it was stopped and the image is unchanged")
    }

    private func perform(_ request: PendingRequest, transaction: SendTransaction, context: SendContext,
                         limits: RunLimits) async -> Result<JSONValue, ImageError> {
        switch request {
        case .send(let receiver, let selector, let args):
            let savepoint = transaction.writes
            do {
                return .success(try await dispatch(receiver, selector, args, transaction: transaction,
                                                   depth: context.depth + 1, limits: limits))
            } catch {
                transaction.writes = savepoint
                return .failure(error)
            }
        case .sleep(let seconds):
            let remaining = transaction.budget.pointee.deadline - a4_now()
            if seconds > remaining {
                try? await Task.sleep(for: .seconds(max(0, remaining)))
                transaction.budget.pointee.kill_reason = Int32(A4_KILL_DEADLINE.rawValue)
                return .failure(killed(transaction, context.receiver, context.selector, limits))
            }
            try? await Task.sleep(for: .seconds(seconds))
            return .success(.null)
        case .primitive(let index, let args):
            let primitive = primitives[index]
            let call: @Sendable () async -> Result<JSONValue, ImageError> = {
                do {
                    return .success(try await primitive.run(args, context))
                } catch let error as ImageError {
                    return .failure(error)
                } catch {
                    return .failure(ImageError(.methodFailed, "\(primitive.name) failed: \(error)"))
                }
            }
            // The deadline covers the wait: a primitive that has not answered by then is
            // cancelled and left behind, and the send is killed.
            guard let outcome = await DeadlineRace.run(until: transaction.budget.pointee.deadline, call) else {
                transaction.budget.pointee.kill_reason = Int32(A4_KILL_DEADLINE.rawValue)
                return .failure(killed(transaction, context.receiver, context.selector, limits))
            }
            return outcome
        }
    }

    /// Throws unless `value` fits in what the send may still allocate in the VM.
    private func fits(_ value: JSONValue, _ transaction: SendTransaction) throws(ImageError) {
        let free = Int(transaction.budget.pointee.memory_ceiling) - vm.memoryUsed
        try ValueMeter.checkFits(value, free: free, budget: transaction.budget)
    }

    // MARK: Host calls (synchronous, from inside lua_resume)

    fileprivate func host(_ L: OpaquePointer, token: Int, opcode: Int32) -> Int32 {
        guard var frame = runs[token] else { return fail(L, "host call outside of a run") }
        // Everything one host call reads from Lua together stays under the send's memory cap.
        var meter = ValueMeter(frame.transaction)
        do {
            let top = lua_gettop(L)
            switch Opcode(rawValue: opcode) {
            case .log:
                let message = LuaStack.errorMessage(at: 1, on: L)   // a string, cut when long
                try meter.count(bytes: 0, steps: Int64(message.utf8.count >> 4))
                try meter.pay()
                if frame.transaction.trialClone == nil {
                    events.publish(.logged(proto: frame.receiver, selector: frame.selector, message: message))
                }
                logger.info("\(frame.receiver)>>\(frame.selector): \(message)")
                return succeed(L, .null, frame.transaction)
            case .emit:
                guard let name = LuaStack.string(at: 1, on: L), !name.isEmpty, name.utf8.count <= 128 else {
                    return fail(L, "emit(name, payload): name must be a short string")
                }
                // Subscribers may hold thousands of events: what one send emits counts together.
                let transaction = frame.transaction
                var emitted = ValueMeter(budget: transaction.budget, capBytes: transaction.limits.memoryBytes - transaction.emittedBytes)
                let payload: JSONValue
                do {
                    payload = try LuaStack.read(at: 2, on: L, meter: &emitted)
                } catch where error.code == .outOfMemory {
                    return fail(L, "not enough memory: the events this send emits would exceed its memory cap "
                        + "of \(transaction.limits.memoryBytes >> 10) KiB together")
                }
                transaction.emittedBytes += emitted.bytesUsed
                // A trial's events are discarded: nothing leaves a trial but its answer. Otherwise
                // observers see events as they happen, so an emit is an effect the send cannot take back.
                if transaction.trialClone == nil {
                    if transaction.effect == nil { transaction.effect = "emit" }
                    events.publish(.emitted(proto: frame.receiver, name: name, payload: payload))
                }
                return succeed(L, .null, transaction)
            case .jsonEncode:
                let text = try LuaStack.read(at: 1, on: L, meter: &meter).jsonText
                try meter.count(bytes: 0, steps: Int64(text.utf8.count >> 4))
                return succeed(L, .string(text), frame.transaction)
            case .jsonDecode:
                guard let text = LuaStack.string(at: 1, on: L) else { return fail(L, "json.decode expects a UTF-8 string") }
                try meter.count(bytes: 0, steps: Int64(text.utf8.count >> 2))
                try meter.pay()
                do { return succeed(L, try JSONValue(parsing: text), frame.transaction) } catch { return fail(L, error.description) }
            case .slotGet:
                let slot = try Name.validate(bytes: LuaStack.bytes(at: 2, on: L) ?? [], as: .slot)
                return succeed(L, slotValue(frame.receiver, slot, transaction: frame.transaction), frame.transaction)
            case .slotSet:
                let slot = try Name.validate(bytes: LuaStack.bytes(at: 2, on: L) ?? [], as: .slot)
                let value: JSONValue? = top < 3 || lua_type(L, 3) == LUA_TNIL ? nil : try LuaStack.read(at: 3, on: L, meter: &meter)
                try meter.pay()
                if let value { try ObjectMemory.checkSlotValue(value, slot: slot) }
                frame.transaction.writes[frame.receiver, default: [:]][slot] = .some(value)
                return succeed(L, .null, frame.transaction)
            case .describe:
                let protos = self.protos(for: frame.transaction)
                guard let proto = protos[frame.receiver] else { return fail(L, "\(frame.receiver) no longer exists") }
                for (slot, value) in proto.slots { frame.transaction.noteRead(frame.receiver, slot, value) }
                return succeed(L, ProtoDescription.describe(proto, in: protos), frame.transaction)
            case .send:
                guard lua_isyieldable(L) != 0 else { return fail(L, "send cannot be called here (inside a C function such as table.sort)") }
                let receiver = try Name.validate(bytes: LuaStack.bytes(at: 1, on: L) ?? [], as: .proto)
                let selector = try Name.validate(bytes: LuaStack.bytes(at: 2, on: L) ?? [], as: .selector)
                let args = try LuaStack.read(at: 3, on: L, meter: &meter)
                frame.pending = .send(receiver: receiver, selector: selector, args: args)
            case .sleep:
                guard lua_isyieldable(L) != 0 else { return fail(L, "sleep cannot be called here") }
                guard lua_type(L, 1) == LUA_TNUMBER else { return fail(L, "sleep(seconds) expects a number") }
                let seconds = a4_tonumber(L, 1, nil)
                guard seconds >= 0, seconds <= 3600 else { return fail(L, "sleep(seconds): seconds must be between 0 and 3600") }
                frame.pending = .sleep(seconds: seconds)
            case nil:
                let index = Int(opcode - Opcode.firstPrimitive)
                guard primitives.indices.contains(index) else { return fail(L, "unknown host call") }
                guard lua_isyieldable(L) != 0 else { return fail(L, "\(primitives[index].name) cannot be called here") }
                if !primitives[index].repeatable && frame.transaction.effect == nil {
                    frame.transaction.effect = primitives[index].name
                }
                var args: [JSONValue] = []
                for i in stride(from: Int32(1), through: top, by: 1) { args.append(try LuaStack.read(at: i, on: L, meter: &meter)) }
                frame.pending = .primitive(index: index, args: args)
            }
            runs[token] = frame
            return Int32(A4_HOST_YIELD.rawValue)
        } catch {
            return fail(L, error.description)
        }
    }

    private func slotValue(_ proto: String, _ slot: String, transaction: SendTransaction) -> JSONValue {
        if let staged = transaction.staged(proto, slot) { return staged ?? .null }
        let value = ObjectMemory.inheritedSlot(slot, of: proto, in: protos(for: transaction))
        transaction.noteRead(proto, slot, value)
        return value ?? .null
    }

    /// The protos a send sees: the image's, with a trial's clone in place of its original.
    private func protos(for transaction: SendTransaction) -> ProtoTable {
        var protos = memory.snapshot()
        if let clone = transaction.trialClone { protos[clone.name] = clone }
        return protos
    }

    /// Answers `(true, value)` to a host call, or `(false, message)` when the value does not fit
    /// in what the send may still allocate.
    private func succeed(_ L: OpaquePointer, _ value: JSONValue, _ transaction: SendTransaction) -> Int32 {
        do {
            try fits(value, transaction)
        } catch {
            return fail(L, error.description)
        }
        lua_pushboolean(L, 1)
        LuaStack.push(value, on: L, topLevel: true)
        return 2
    }

    private func fail(_ L: OpaquePointer, _ message: String) -> Int32 {
        lua_pushboolean(L, 0)
        LuaStack.pushString(message, on: L)
        return 2
    }
}

/// The C-callable entry for host calls; runs synchronously on the interpreter's executor,
/// inside `a4_resume`.
private func interpreterHostCallback(_ context: UnsafeMutableRawPointer?, _ token: Int, _ L: OpaquePointer?, _ opcode: Int32) -> Int32 {
    let box = Unmanaged<HostContext>.fromOpaque(context!).takeUnretainedValue()
    guard let interpreter = box.interpreter else { return 0 }
    nonisolated(unsafe) let state = L!
    return interpreter.assumeIsolated { $0.host(state, token: token, opcode: opcode) }
}

/// Lets the C host callback find its interpreter (the VM is created before the actor is).
private final class HostContext {
    weak var interpreter: Interpreter?
}
