import CLuaShim

/// One sandboxed `lua_State` with its memory cap and a cache of compiled methods.
///
/// Not thread-safe: it is owned by exactly one ``Interpreter`` actor (or the object memory's
/// syntax checker) and used only from there.
final class LuaVM {
    let raw: UnsafeMutablePointer<a4_vm>
    private var compiled: [String: Int32] = [:]
    private let maxCompiled = 4096

    var state: OpaquePointer { raw.pointee.L }

    /// Creates a state. With `host`, the prelude builds the method API from `hostOps`;
    /// without, the VM only checks syntax.
    init(memoryLimit: Int, hookInterval: Int32 = 1000, host: a4_host_fn? = nil,
         context: UnsafeMutableRawPointer? = nil, hostOps: [(name: String, opcode: Int32)] = []) throws(ImageError) {
        var message = [CChar](repeating: 0, count: 512)
        guard let vm = a4_vm_new(memoryLimit, hookInterval, host, context, &message, message.count) else {
            throw ImageError(.storage, "cannot create a Lua state: \(LuaVM.text(message))")
        }
        raw = vm
        guard host != nil else { return }
        for op in hostOps where a4_vm_add_host(vm, op.name, op.opcode) != 0 {
            throw ImageError(.storage, "cannot register host primitive \(op.name)")
        }
        let prelude = LuaPrelude.source
        if a4_vm_run_prelude(vm, prelude, prelude.utf8.count, &message, message.count) != 0 {
            throw ImageError(.storage, "the Lua prelude failed (this is a bug): \(LuaVM.text(message))")
        }
    }

    deinit {
        for ref in compiled.values { luaL_unref(state, a4_registry_index(), ref) }
        a4_vm_free(raw)
    }

    /// Refuses source that does not compile as a Lua text chunk, or that is too large.
    func checkSyntax(_ source: String, name: String) throws(ImageError) {
        guard source.utf8.count <= MethodSource.maxSourceBytes else {
            throw ImageError(.compileFailed, "\(name) is \(source.utf8.count) bytes; methods are limited to \(MethodSource.maxSourceBytes)")
        }
        var message = [CChar](repeating: 0, count: 1024)
        if a4_check_syntax(raw, "=" + name, source, source.utf8.count, &message, message.count) != LUA_OK {
            throw ImageError(.compileFailed, "\(name) does not compile: \(LuaVM.text(message))")
        }
    }

    /// The registry reference of the compiled method function for `source`.
    func compiledMethod(_ source: String, name: String) throws(ImageError) -> Int32 {
        if let ref = compiled[source] { return ref }
        guard source.utf8.count <= MethodSource.maxSourceBytes else {
            throw ImageError(.compileFailed, "\(name) is too large to compile")
        }
        var message = [CChar](repeating: 0, count: 1024)
        if a4_compile_method(raw, "=" + name, source, source.utf8.count, &message, message.count) != LUA_OK {
            throw ImageError(.compileFailed, "\(name) does not compile: \(LuaVM.text(message))")
        }
        if compiled.count >= maxCompiled {
            for ref in compiled.values { luaL_unref(state, a4_registry_index(), ref) }
            compiled.removeAll()
        }
        let ref = luaL_ref(state, a4_registry_index())
        compiled[source] = ref
        return ref
    }

    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    var memoryUsed: Int { a4_memory_used(raw) }

    func collectGarbage() { a4_collect(raw) }
}
