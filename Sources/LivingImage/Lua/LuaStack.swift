import CLuaShim

/// Moves ``JSONValue``s onto and off a Lua stack, using only raw accesses that cannot run
/// script code. Called with the memory cap off, so pushing never raises: the host measures a
/// value against the send's memory cap (``ValueMeter/checkFits(_:free:budget:)``) before it
/// pushes it.
enum LuaStack {
    static let maxDepth = 100

    static func push(_ value: JSONValue, on L: OpaquePointer, topLevel: Bool = false) {
        _ = lua_checkstack(L, 4)
        switch value {
        case .null:
            if topLevel { lua_pushnil(L) } else { a4_push_json_null(L) }
        case .bool(let b): lua_pushboolean(L, b ? 1 : 0)
        case .integer(let i): lua_pushinteger(L, lua_Integer(i))
        case .number(let d): lua_pushnumber(L, d)
        case .string(let s): pushString(s, on: L)
        case .array(let items):
            lua_createtable(L, Int32(clamping: items.count), 0)
            for (i, item) in items.enumerated() {
                push(item, on: L)
                lua_rawseti(L, -2, lua_Integer(i + 1))
            }
            a4_set_json_array_mt(L, -1)
        case .object(let members):
            lua_createtable(L, 0, Int32(clamping: members.count))
            for (key, member) in members {
                pushString(key, on: L)
                push(member, on: L)
                lua_rawset(L, -3)
            }
        }
    }

    static func pushString(_ s: String, on L: OpaquePointer) {
        var s = s
        s.withUTF8 { buffer in
            _ = lua_pushlstring(L, buffer.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) }, buffer.count)
        }
    }

    /// The raw bytes of a string value, or nil when the value is not a string.
    static func bytes(at index: Int32, on L: OpaquePointer) -> [UInt8]? {
        guard lua_type(L, index) == LUA_TSTRING else { return nil }
        var len = 0
        guard let p = a4_tostring(L, index, &len) else { return nil }
        return Array(UnsafeRawBufferPointer(start: p, count: len))
    }

    static func string(at index: Int32, on L: OpaquePointer) -> String? {
        guard lua_type(L, index) == LUA_TSTRING else { return nil }
        var len = 0
        guard let p = a4_tostring(L, index, &len) else { return nil }
        return String(validating: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
    }

    /// Longest error message kept from a Lua error object; the rest is cut, saying so.
    static let maxMessageBytes = 16 * 1024

    /// A readable message for an error object, whatever its type; a long one is cut.
    static func errorMessage(at index: Int32, on L: OpaquePointer) -> String {
        switch lua_type(L, index) {
        case LUA_TSTRING:
            var len = 0
            let p = a4_tostring(L, index, &len)!
            return String(decoding: UnsafeRawBufferPointer(start: p, count: min(len, maxMessageBytes)), as: UTF8.self)
                + (len > maxMessageBytes ? "… (\(len) bytes in all)" : "")
        case LUA_TNIL: return "error(nil)"
        case LUA_TNUMBER: return "error(\(a4_tonumber(L, index, nil)))"
        default: return "an error object of type \(String(cString: lua_typename(L, lua_type(L, index))))"
        }
    }

    /// Reads the value at `index` as JSON; functions, userdata, cycles, NaN, non-UTF-8 text and
    /// mixed tables are refused with a message saying where. Every node is counted with `meter`:
    /// a value past the send's memory cap fails with `.outOfMemory`, one that takes the send past
    /// its instruction budget or deadline with `.killed`.
    static func read(at index: Int32, on L: OpaquePointer, meter: inout ValueMeter) throws(ImageError) -> JSONValue {
        let value: JSONValue
        do {
            value = try read(at: lua_absindex(L, index), on: L, depth: 0, meter: &meter)
        } catch {
            if let limit = error.limit { throw limit }
            throw ImageError(.invalidValue, "value is not JSON: \(error.what) at $\(error.reversedPath.reversed().joined())")
        }
        try meter.pay()
        return value
    }

    /// Why a read stopped; the path is built only when it fails, innermost component first.
    private struct ReadFailure: Error {
        var what = ""
        var limit: ImageError?
        var reversedPath: [String] = []

        init(_ what: String) { self.what = what }
        init(limit: ImageError) { self.limit = limit }

        func at(_ component: String) -> ReadFailure {
            var failure = self
            failure.reversedPath.append(component)
            return failure
        }
    }

    private static func count(_ meter: inout ValueMeter, bytes: Int, steps: Int64 = ValueMeter.nodeSteps) throws(ReadFailure) {
        do { try meter.count(bytes: bytes, steps: steps) } catch { throw ReadFailure(limit: error) }
    }

    private static func read(at index: Int32, on L: OpaquePointer, depth: Int, meter: inout ValueMeter) throws(ReadFailure) -> JSONValue {
        switch lua_type(L, index) {
        case LUA_TNIL, LUA_TNONE:
            try count(&meter, bytes: ValueMeter.nodeBytes)
            return .null
        case LUA_TBOOLEAN:
            try count(&meter, bytes: ValueMeter.nodeBytes)
            return .bool(lua_toboolean(L, index) != 0)
        case LUA_TNUMBER:
            try count(&meter, bytes: ValueMeter.nodeBytes)
            if lua_isinteger(L, index) != 0 { return .integer(Int64(a4_tointeger(L, index, nil))) }
            let d = a4_tonumber(L, index, nil)
            guard d.isFinite else { throw ReadFailure("the number \(d) (JSON has no NaN or infinity)") }
            return .number(d)
        case LUA_TSTRING:
            var len = 0
            let p = a4_tostring(L, index, &len)!
            try count(&meter, bytes: ValueMeter.nodeBytes + ValueMeter.stringBytes + len, steps: ValueMeter.nodeSteps + Int64(len >> 4))
            guard let s = String(validating: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self) else {
                throw ReadFailure("a string that is not valid UTF-8")
            }
            return .string(s)
        case LUA_TLIGHTUSERDATA where a4_is_json_null(L, index) != 0:
            try count(&meter, bytes: ValueMeter.nodeBytes)
            return .null
        case LUA_TTABLE:
            guard depth < maxDepth else { throw ReadFailure("a table nested deeper than \(maxDepth) (a cycle?)") }
            _ = lua_checkstack(L, 4)
            try count(&meter, bytes: ValueMeter.nodeBytes + 64)
            if a4_has_json_array_mt(L, index) != 0 { return try readArray(at: index, on: L, depth: depth, meter: &meter) }
            var members: [String: JSONValue] = [:]
            var integerKeys = 0
            var stringKeys = 0
            lua_pushnil(L)
            while lua_next(L, index) != 0 {
                switch lua_type(L, -2) {
                case LUA_TSTRING:
                    stringKeys += 1
                    var len = 0
                    let p = a4_tostring(L, -2, &len)!
                    do {
                        try count(&meter, bytes: ValueMeter.memberBytes + ValueMeter.stringBytes + len, steps: ValueMeter.nodeSteps + Int64(len >> 4))
                    } catch {
                        a4_pop(L, 2)
                        throw error
                    }
                    guard let key = String(validating: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self) else {
                        a4_pop(L, 2)
                        throw ReadFailure("a key that is not valid UTF-8")
                    }
                    do {
                        members[key] = try read(at: lua_absindex(L, -1), on: L, depth: depth + 1, meter: &meter)
                    } catch {
                        a4_pop(L, 2)
                        throw error.at("." + key)
                    }
                case LUA_TNUMBER where lua_isinteger(L, -2) != 0:
                    integerKeys += 1
                    do { try count(&meter, bytes: 0) } catch { a4_pop(L, 2); throw error }
                default:
                    let type = String(cString: lua_typename(L, lua_type(L, -2)))
                    a4_pop(L, 2)
                    throw ReadFailure("a table with a key of type \(type)")
                }
                a4_pop(L, 1)
            }
            if integerKeys == 0 { return .object(members) }
            guard stringKeys == 0 else { throw ReadFailure("a table that mixes list items and named keys") }
            guard lua_rawlen(L, index) == integerKeys else { throw ReadFailure("a list with holes (use json.null for missing items)") }
            return try readArray(at: index, on: L, depth: depth, meter: &meter)
        default:
            throw ReadFailure("a \(String(cString: lua_typename(L, lua_type(L, index))))")
        }
    }

    private static func readArray(at index: Int32, on L: OpaquePointer, depth: Int, meter: inout ValueMeter) throws(ReadFailure) -> JSONValue {
        let n = Int(lua_rawlen(L, index))
        var items: [JSONValue] = []
        items.reserveCapacity(min(n, 4096))   // the meter, not the table's claim, bounds the rest
        for i in 0..<n {
            lua_rawgeti(L, index, lua_Integer(i + 1))
            defer { a4_pop(L, 1) }
            do {
                items.append(try read(at: lua_absindex(L, -1), on: L, depth: depth + 1, meter: &meter))
            } catch {
                throw error.at("[\(i + 1)]")
            }
        }
        return .array(items)
    }
}
