/// Lua source run once per VM: builds the public method API (send, sleep, log, emit, json,
/// self proxies, host primitives) in the sandbox from the private host table.
///
/// Host calls answer `(true, value)` or `(false, message)`; the wrappers here raise the error
/// in Lua, so no error is ever raised from a Swift frame.
enum LuaPrelude {
    static let source = #"""
    local H, raw_rawset, raw_setmetatable, NULL, ARRAY_MT = ...
    local error, type, select, tostring, next, rawget = error, type, select, tostring, next, rawget
    local concat = table.concat
    local locked = raw_setmetatable({}, {__mode = "k"})

    local function readonly_error() error("attempt to modify a read-only table", 2) end
    local function readonly(t)
      local p = raw_setmetatable({}, {__index = t, __newindex = readonly_error, __metatable = false})
      locked[p] = true
      return p
    end

    local function host(f)
      return function(...)
        local ok, r = f(...)
        if not ok then error(r, 2) end
        return r
      end
    end

    function rawset(t, k, v)
      if locked[t] then error("attempt to modify a read-only table", 2) end
      return raw_rawset(t, k, v)
    end

    function setmetatable(t, mt)
      if locked[t] then error("cannot change a protected metatable", 2) end
      if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
        error("__gc metamethods are not allowed in methods", 2)
      end
      return raw_setmetatable(t, mt)
    end

    send = host(H.send)
    sleep = host(H.sleep)
    emit = host(H.emit)
    local host_log = H.log
    function log(...)
      local parts = {}
      for i = 1, select("#", ...) do parts[i] = tostring((select(i, ...))) end
      local ok, r = host_log(concat(parts, " "))
      if not ok then error(r, 2) end
    end
    json = {
      encode = host(H.json_encode),
      decode = host(H.json_decode),
      null = NULL,
      array = function(t)
        if t == nil then t = {} end
        if type(t) ~= "table" then error("json.array expects a table", 2) end
        return raw_setmetatable(t, ARRAY_MT)
      end,
    }

    local selves = {}
    local slot_get, slot_set, host_send, host_describe = H.slot_get, H.slot_set, H.send, H.describe
    local function make_self(name)
      local s = selves[name]
      if s then return s end
      local api = {
        name = name,
        get = function(_, slot) local ok, r = slot_get(name, slot) if not ok then error(r, 2) end return r end,
        set = function(_, slot, value) local ok, r = slot_set(name, slot, value) if not ok then error(r, 2) end return r end,
        send = function(_, selector, args) local ok, r = host_send(name, selector, args) if not ok then error(r, 2) end return r end,
        describe = function(_) local ok, r = host_describe(name) if not ok then error(r, 2) end return r end,
      }
      s = raw_setmetatable({}, {__index = api, __newindex = readonly_error, __metatable = false,
                                __tostring = function() return "proto " .. name end})
      locked[s] = true
      selves[name] = s
      return s
    end

    local builtin = {send = true, sleep = true, emit = true, log = true, json_encode = true, json_decode = true,
                     slot_get = true, slot_set = true, describe = true}
    local namespaces = {}
    for name, f in next, H do
      if not builtin[name] then
        local ns, fn = name:match("^([%a_][%w_]*)%.([%a_][%w_]*)$")
        if ns then
          namespaces[ns] = namespaces[ns] or {}
          namespaces[ns][fn] = host(f)
        else
          _ENV[name] = host(f)
        end
      end
    end
    for ns, t in next, namespaces do _ENV[ns] = readonly(t) end
    return locked, make_self
    """#
}
