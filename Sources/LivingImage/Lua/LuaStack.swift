import CLuaShim

/// Moves ``JSONValue``s onto and off a Lua stack, using only raw accesses that cannot run
/// script code. Called with the memory cap off, so pushing never raises.
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

    /// A readable message for an error object, whatever its type.
    static func errorMessage(at index: Int32, on L: OpaquePointer) -> String {
        switch lua_type(L, index) {
        case LUA_TSTRING:
            var len = 0
            let p = a4_tostring(L, index, &len)!
            return String(decoding: UnsafeRawBufferPointer(start: p, count: len), as: UTF8.self)
        case LUA_TNIL: return "error(nil)"
        case LUA_TNUMBER: return "error(\(a4_tonumber(L, index, nil)))"
        default: return "an error object of type \(String(cString: lua_typename(L, lua_type(L, index))))"
        }
    }

    /// Reads the value at `index` as JSON; functions, userdata, cycles, NaN, non-UTF-8 text and
    /// mixed tables are refused with a message saying where.
    static func read(at index: Int32, on L: OpaquePointer) throws(ImageError) -> JSONValue {
        try read(at: lua_absindex(L, index), on: L, depth: 0, path: "$")
    }

    private static func read(at index: Int32, on L: OpaquePointer, depth: Int, path: String) throws(ImageError) -> JSONValue {
        switch lua_type(L, index) {
        case LUA_TNIL, LUA_TNONE: return .null
        case LUA_TBOOLEAN: return .bool(lua_toboolean(L, index) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(L, index) != 0 { return .integer(Int64(a4_tointeger(L, index, nil))) }
            let d = a4_tonumber(L, index, nil)
            guard d.isFinite else { throw notJSON(path, "the number \(d) (JSON has no NaN or infinity)") }
            return .number(d)
        case LUA_TSTRING:
            guard let s = string(at: index, on: L) else { throw notJSON(path, "a string that is not valid UTF-8") }
            return .string(s)
        case LUA_TLIGHTUSERDATA where a4_is_json_null(L, index) != 0:
            return .null
        case LUA_TTABLE:
            guard depth < maxDepth else { throw notJSON(path, "a table nested deeper than \(maxDepth) (a cycle?)") }
            _ = lua_checkstack(L, 4)
            if a4_has_json_array_mt(L, index) != 0 { return try readArray(at: index, on: L, depth: depth, path: path) }
            var members: [String: JSONValue] = [:]
            var integerKeys = 0
            var stringKeys = 0
            lua_pushnil(L)
            while lua_next(L, index) != 0 {
                switch lua_type(L, -2) {
                case LUA_TSTRING:
                    stringKeys += 1
                    guard let key = string(at: -2, on: L) else {
                        a4_pop(L, 2)
                        throw notJSON(path, "a key that is not valid UTF-8")
                    }
                    do {
                        members[key] = try read(at: lua_absindex(L, -1), on: L, depth: depth + 1, path: path + "." + key)
                    } catch {
                        a4_pop(L, 2)
                        throw error
                    }
                case LUA_TNUMBER where lua_isinteger(L, -2) != 0:
                    integerKeys += 1
                default:
                    a4_pop(L, 2)
                    throw notJSON(path, "a table with a key of type \(String(cString: lua_typename(L, lua_type(L, -2))))")
                }
                a4_pop(L, 1)
            }
            if integerKeys == 0 { return .object(members) }
            guard stringKeys == 0 else { throw notJSON(path, "a table that mixes list items and named keys") }
            guard lua_rawlen(L, index) == integerKeys else { throw notJSON(path, "a list with holes (use json.null for missing items)") }
            return try readArray(at: index, on: L, depth: depth, path: path)
        default:
            throw notJSON(path, "a \(String(cString: lua_typename(L, lua_type(L, index))))")
        }
    }

    private static func readArray(at index: Int32, on L: OpaquePointer, depth: Int, path: String) throws(ImageError) -> JSONValue {
        let n = Int(lua_rawlen(L, index))
        var items: [JSONValue] = []
        items.reserveCapacity(n)
        for i in 0..<n {
            lua_rawgeti(L, index, lua_Integer(i + 1))
            defer { a4_pop(L, 1) }
            items.append(try read(at: lua_absindex(L, -1), on: L, depth: depth + 1, path: "\(path)[\(i + 1)]"))
        }
        return .array(items)
    }

    private static func notJSON(_ path: String, _ what: String) -> ImageError {
        ImageError(.invalidValue, "value is not JSON: \(what) at \(path)")
    }
}
