// The C side of the embedded Lua VM: counting allocator, instruction/deadline hook that yields,
// protected sandbox setup, method compilation and the host-call trampoline. Everything here
// that can raise a Lua error runs inside lua_pcall/lua_resume, so no error or yield ever
// unwinds through a Swift frame.
#include "CLuaShim.h"
#include "a4_limits.h"
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#define A4_SANDBOX "a4.sandbox"
#define A4_HOST "a4.host"
#define A4_BASE "a4.base"
#define A4_ENV_MT "a4.env_mt"
#define A4_ARRAY_MT "a4.array_mt"
#define A4_LOCKED "a4.locked"
#define A4_MAKE_SELF "a4.make_self"

double a4_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static a4_vm *vm_of(lua_State *L) { return *(a4_vm **)lua_getextraspace(L); }

static void a4_hook(lua_State *L, lua_Debug *ar);

int a4_budget_spend(a4_budget *b, int64_t units) {
    if (b->kill_reason != A4_KILL_NONE) return b->kill_reason;
    b->instructions_left -= units;
    if (b->instructions_left <= 0) {
        b->kill_reason = A4_KILL_INSTRUCTIONS;
    } else if ((b->until_clock -= units) <= 0) {
        b->until_clock = A4_CLOCK_EVERY;
        if (b->deadline > 0 && a4_now() > b->deadline) b->kill_reason = A4_KILL_DEADLINE;
    }
    return b->kill_reason;
}

void a4_arm_kill(lua_State *L) {
    lua_sethook(L, a4_hook, LUA_MASKCOUNT, 1);
}

void a4_charge(lua_State *L, int64_t units) {
    a4_budget *b = vm_of(L)->budget;
    if (b == NULL || a4_budget_spend(b, units) == A4_KILL_NONE) return;
    a4_arm_kill(L);
    luaL_error(L, b->kill_reason == A4_KILL_DEADLINE ? "the send ran past its deadline"
                                                     : "the send used its instruction budget");
}

// Growth the caps refuse costs the budget too: Lua answers each refusal with a full (emergency)
// collection, and a script that keeps failing allocations must not run free.
static void *refuse(a4_vm *vm, a4_budget *b) {
    if (b != NULL) a4_budget_spend(b, (int64_t)(vm->used / A4_BYTES_PER_UNIT) + 4096);
    return NULL;
}

static void *a4_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    a4_vm *vm = (a4_vm *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        vm->used -= old;
        return NULL;
    }
    if (nsize > old && vm->enforce > 0) {
        size_t grow = nsize - old;
        size_t after = vm->used + grow;
        a4_budget *b = vm->budget;
        if (after > vm->limit) return refuse(vm, b);
        if (b != NULL) {
            if (b->kill_reason != A4_KILL_NONE) return NULL;   // a stopped send allocates nothing more
            if (after > b->memory_ceiling) return refuse(vm, b);
            // Copying and collecting cost time in proportion to the bytes allocated.
            vm->alloc_unbilled += (int64_t)grow;
            if (vm->alloc_unbilled >= A4_BYTES_PER_UNIT * A4_METER_BATCH) {
                int64_t units = vm->alloc_unbilled / A4_BYTES_PER_UNIT;
                vm->alloc_unbilled -= units * A4_BYTES_PER_UNIT;
                if (a4_budget_spend(b, units) != A4_KILL_NONE) return NULL;
            }
        }
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    vm->used = vm->used - old + nsize;
    return p;
}

static int a4_panic(lua_State *L) {
    const char *msg = lua_tostring(L, -1);
    fprintf(stderr, "a4ps: unprotected Lua error (this is a bug): %s\n", msg ? msg : "?");
    abort();
    return 0;
}

static void a4_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    a4_vm *vm = vm_of(L);
    a4_budget *b = vm->budget;
    if (b == NULL) return;
    if (b->kill_reason == A4_KILL_NONE) {
        b->instructions_left -= vm->hook_interval;
        if (b->instructions_left <= 0) b->kill_reason = A4_KILL_INSTRUCTIONS;
        else if (b->deadline > 0 && a4_now() > b->deadline) b->kill_reason = A4_KILL_DEADLINE;
    }
    if (b->kill_reason != A4_KILL_NONE) {
        // Keep firing on every instruction: a yield inside a non-yieldable C call becomes an
        // error the script may catch, and the very next instruction tries again.
        lua_sethook(L, a4_hook, LUA_MASKCOUNT, 1);
        lua_yield(L, 0);
    }
}

// collectgarbage("count") only.
static int a4_collectgarbage(lua_State *L) {
    const char *opt = luaL_optstring(L, 1, "count");
    if (strcmp(opt, "count") != 0) return luaL_error(L, "collectgarbage: only \"count\" is allowed");
    int k = lua_gc(L, LUA_GCCOUNT, 0);
    int b = lua_gc(L, LUA_GCCOUNTB, 0);
    lua_pushnumber(L, (lua_Number)k + ((lua_Number)b / 1024));
    return 1;
}

static int a4_readonly_error(lua_State *L) {
    return luaL_error(L, "attempt to modify a read-only table");
}

static void copy_field(lua_State *L, int from, int to, const char *name) {
    lua_getfield(L, from, name);
    lua_setfield(L, to, name);
}

static void copy_lib(lua_State *L, int sandbox, const char *lib, const char *const *names) {
    lua_getglobal(L, lib);
    int src = lua_gettop(L);
    lua_newtable(L);
    int dst = lua_gettop(L);
    if (names == NULL) {
        lua_pushnil(L);
        while (lua_next(L, src) != 0) {
            lua_pushvalue(L, -2);
            lua_insert(L, -2);
            lua_rawset(L, dst);
        }
    } else {
        for (int i = 0; names[i] != NULL; i++) copy_field(L, src, dst, names[i]);
    }
    lua_setfield(L, sandbox, lib);
    lua_pop(L, 1);
}

static int setup(lua_State *L) {
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1); lua_pop(L, 1);
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 1); lua_pop(L, 1);

    lua_newtable(L);
    int sandbox = lua_gettop(L);
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    static const char *const base[] = {
        "assert", "error", "ipairs", "pairs", "next", "select", "type", "tostring", "tonumber",
        "pcall", "xpcall", "rawequal", "rawget", "rawlen", "getmetatable", "_VERSION", NULL };
    for (int i = 0; base[i] != NULL; i++) copy_field(L, g, sandbox, base[i]);
    lua_pushcfunction(L, a4_collectgarbage);
    lua_setfield(L, sandbox, "collectgarbage");
    lua_pop(L, 1);

    copy_lib(L, sandbox, LUA_STRLIBNAME, NULL);
    lua_getfield(L, sandbox, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    copy_lib(L, sandbox, LUA_TABLIBNAME, NULL);
    copy_lib(L, sandbox, LUA_MATHLIBNAME, NULL);
    copy_lib(L, sandbox, LUA_UTF8LIBNAME, NULL);
    static const char *const os_names[] = { "clock", "time", "date", "difftime", NULL };
    copy_lib(L, sandbox, LUA_OSLIBNAME, os_names);
    // Library functions that can loop count their work against the send's limits.
    a4_open_bounded_base(L, sandbox);
    a4_open_bounded_string(L, sandbox);
    a4_open_bounded_table(L, sandbox);
    a4_open_bounded_utf8(L, sandbox);
    lua_setfield(L, LUA_REGISTRYINDEX, A4_SANDBOX);

    lua_newtable(L);
    lua_setfield(L, LUA_REGISTRYINDEX, A4_HOST);

    lua_newtable(L);   // metatable of JSON arrays
    lua_pushliteral(L, "json.array");
    lua_setfield(L, -2, "__metatable");
    lua_pushliteral(L, "json.array");
    lua_setfield(L, -2, "__name");
    lua_setfield(L, LUA_REGISTRYINDEX, A4_ARRAY_MT);
    return 0;
}

static void write_error(lua_State *L, char *out, size_t len) {
    if (out == NULL || len == 0) return;
    const char *msg = lua_tostring(L, -1);
    snprintf(out, len, "%s", msg ? msg : "(error object is not a string)");
}

a4_vm *a4_vm_new(size_t memory_limit, int hook_interval, a4_host_fn host, void *host_context,
                 char *error_out, size_t error_len) {
    a4_vm *vm = calloc(1, sizeof(a4_vm));
    if (vm == NULL) return NULL;
    vm->limit = memory_limit;
    vm->host = host;
    vm->host_context = host_context;
    vm->hook_interval = hook_interval > 0 ? hook_interval : 1000;
    vm->L = lua_newstate(a4_alloc, vm);
    if (vm->L == NULL) { free(vm); return NULL; }
    *(a4_vm **)lua_getextraspace(vm->L) = vm;
    lua_atpanic(vm->L, a4_panic);
    lua_setwarnf(vm->L, NULL, NULL);
    lua_pushcfunction(vm->L, setup);
    if (lua_pcall(vm->L, 0, 0, 0) != LUA_OK) {
        write_error(vm->L, error_out, error_len);
        lua_close(vm->L);
        free(vm);
        return NULL;
    }
    return vm;
}

void a4_vm_free(a4_vm *vm) {
    if (vm == NULL) return;
    a4_watchdog_stop(vm);
    lua_close(vm->L);
    free(vm);
}

static int a4_host_trampoline(lua_State *L) {
    a4_vm *vm = vm_of(L);
    int opcode = (int)lua_tointeger(L, lua_upvalueindex(1));
    int saved = vm->enforce;
    vm->enforce = 0;   // Swift pushes results with caps off: it must never meet LUA_ERRMEM
    int n = vm->host(vm->host_context, vm->run_token, L, opcode);
    vm->enforce = saved;
    // The host may have found a limit struck while it read or pushed values: stop at the next
    // instruction, whatever the script does with the error it gets.
    if (vm->budget != NULL && vm->budget->kill_reason != A4_KILL_NONE) a4_arm_kill(L);
    if (n == A4_HOST_YIELD) return lua_yield(L, 0);
    return n;
}

static int add_host(lua_State *L) {
    const char *name = lua_tostring(L, 1);
    lua_getfield(L, LUA_REGISTRYINDEX, A4_HOST);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, a4_host_trampoline, 1);
    lua_setfield(L, -2, name);
    return 0;
}

int a4_vm_add_host(a4_vm *vm, const char *name, int opcode) {
    lua_State *L = vm->L;
    lua_pushcfunction(L, add_host);
    lua_pushstring(L, name);
    lua_pushinteger(L, opcode);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) { lua_pop(L, 1); return 1; }
    return 0;
}

// Wraps `index` (a table) in a read-only proxy registered in `locked`; leaves the proxy on top.
static void push_readonly(lua_State *L, int index, int locked) {
    index = lua_absindex(L, index);
    lua_newtable(L);              // proxy
    lua_newtable(L);              // its metatable
    lua_pushvalue(L, index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, a4_readonly_error);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_pushboolean(L, 1);
    lua_rawset(L, locked);
}

static int run_prelude(lua_State *L) {
    size_t len;
    const char *src = lua_tolstring(L, 1, &len);
    if (luaL_loadbufferx(L, src, len, "=prelude", "t") != LUA_OK) return lua_error(L);
    int chunk = lua_gettop(L);
    lua_getfield(L, LUA_REGISTRYINDEX, A4_SANDBOX);
    int sandbox = lua_gettop(L);
    lua_pushvalue(L, sandbox);
    lua_setupvalue(L, chunk, 1);            // the prelude defines the public API in the sandbox
    lua_pushvalue(L, chunk);
    lua_getfield(L, LUA_REGISTRYINDEX, A4_HOST);
    lua_getglobal(L, "rawset");
    lua_getglobal(L, "setmetatable");
    lua_pushlightuserdata(L, NULL);
    lua_getfield(L, LUA_REGISTRYINDEX, A4_ARRAY_MT);
    lua_call(L, 5, 2);                      // returns locked, make_self
    lua_setfield(L, LUA_REGISTRYINDEX, A4_MAKE_SELF);
    int locked = lua_gettop(L);
    lua_pushvalue(L, locked);
    lua_setfield(L, LUA_REGISTRYINDEX, A4_LOCKED);

    // Library copies become read-only proxies; so does the sandbox itself.
    static const char *const libs[] = { "string", "table", "math", "utf8", "os", "json", NULL };
    for (int i = 0; libs[i] != NULL; i++) {
        if (lua_getfield(L, sandbox, libs[i]) != LUA_TTABLE) { lua_pop(L, 1); continue; }
        push_readonly(L, -1, locked);
        lua_setfield(L, sandbox, libs[i]);
        lua_pop(L, 1);
    }
    // Strings find their methods through the read-only copy; getmetatable("") reveals nothing.
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_getfield(L, sandbox, "string");
        lua_setfield(L, -2, "__index");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);

    push_readonly(L, sandbox, locked);
    int base = lua_gettop(L);
    lua_pushvalue(L, base);
    lua_setfield(L, LUA_REGISTRYINDEX, A4_BASE);
    lua_newtable(L);                        // metatable of every run's environment
    lua_pushvalue(L, base);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setfield(L, LUA_REGISTRYINDEX, A4_ENV_MT);
    return 0;
}

int a4_vm_run_prelude(a4_vm *vm, const char *source, size_t len, char *error_out, size_t error_len) {
    lua_State *L = vm->L;
    lua_pushcfunction(L, run_prelude);
    lua_pushlstring(L, source, len);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        write_error(L, error_out, error_len);
        lua_pop(L, 1);
        return 1;
    }
    return 0;
}

int a4_check_syntax(a4_vm *vm, const char *name, const char *source, size_t len,
                    char *error_out, size_t error_len) {
    lua_State *L = vm->L;
    vm->enforce++;
    int st = luaL_loadbufferx(L, source, len, name, "t");
    vm->enforce--;
    if (st != LUA_OK) write_error(L, error_out, error_len);
    lua_pop(L, 1);
    return st;
}

int a4_compile_method(a4_vm *vm, const char *name, const char *source, size_t len,
                      char *error_out, size_t error_len) {
    // A body that compiles on its own is a balanced block, so wrapping it cannot break out.
    int st = a4_check_syntax(vm, name, source, len, error_out, error_len);
    if (st != LUA_OK) return st;
    lua_State *L = vm->L;
    static const char head[] = "return function(_ENV, self, args, ...) ";
    static const char tail[] = "\nend";
    size_t total = sizeof(head) - 1 + len + sizeof(tail) - 1;
    char *buf = malloc(total);
    if (buf == NULL) { snprintf(error_out, error_len, "out of memory"); return LUA_ERRMEM; }
    memcpy(buf, head, sizeof(head) - 1);
    memcpy(buf + sizeof(head) - 1, source, len);
    memcpy(buf + sizeof(head) - 1 + len, tail, sizeof(tail) - 1);
    vm->enforce++;
    st = luaL_loadbufferx(L, buf, total, name, "t");
    vm->enforce--;
    free(buf);
    if (st != LUA_OK) { write_error(L, error_out, error_len); lua_pop(L, 1); return st; }
    lua_newtable(L);                        // the wrapper chunk runs no user code: empty _ENV
    lua_setupvalue(L, -2, 1);
    st = lua_pcall(L, 0, 1, 0);
    if (st != LUA_OK) { write_error(L, error_out, error_len); lua_pop(L, 1); return st; }
    return LUA_OK;
}

lua_State *a4_new_run_thread(a4_vm *vm) {
    lua_State *co = lua_newthread(vm->L);
    lua_sethook(co, a4_hook, LUA_MASKCOUNT, vm->hook_interval);
    return co;
}

int a4_resume(a4_vm *vm, lua_State *co, a4_budget *budget, intptr_t run_token, int nargs, int *nresults) {
    a4_budget *saved_budget = vm->budget;
    intptr_t saved_token = vm->run_token;
    vm->budget = budget;
    vm->run_token = run_token;
    // A limit that struck while the run waited on the host stops it before its next instruction.
    if (budget != NULL && budget->kill_reason != A4_KILL_NONE) a4_arm_kill(co);
    // A single instruction can outlast the deadline (a strcoll over megabytes): the watchdog
    // makes the hook fire at the next one.
    a4_watch watch = a4_watchdog_arm(vm, co, budget != NULL ? budget->deadline : 0);
    vm->enforce++;
    int st = lua_resume(co, vm->L, nargs, nresults);
    vm->enforce--;
    a4_watchdog_disarm(vm, watch);
    vm->budget = saved_budget;
    vm->run_token = saved_token;

    return st;
}

void a4_push_traceback(a4_vm *vm, lua_State *co, const char *message) {
    luaL_traceback(vm->L, co, message, 0);
}

void a4_push_run_env(a4_vm *vm) {
    lua_State *L = vm->L;
    lua_createtable(L, 0, 4);
    lua_getfield(L, LUA_REGISTRYINDEX, A4_ENV_MT);
    lua_setmetatable(L, -2);
}

void a4_push_make_self(a4_vm *vm) {
    lua_getfield(vm->L, LUA_REGISTRYINDEX, A4_MAKE_SELF);
}

void a4_push_json_null(lua_State *L) { lua_pushlightuserdata(L, NULL); }

int a4_is_json_null(lua_State *L, int index) {
    return lua_type(L, index) == LUA_TLIGHTUSERDATA && lua_touserdata(L, index) == NULL;
}

void a4_set_json_array_mt(lua_State *L, int index) {
    index = lua_absindex(L, index);
    lua_getfield(L, LUA_REGISTRYINDEX, A4_ARRAY_MT);
    lua_setmetatable(L, index);
}

int a4_has_json_array_mt(lua_State *L, int index) {
    if (!lua_getmetatable(L, index)) return 0;
    lua_getfield(L, LUA_REGISTRYINDEX, A4_ARRAY_MT);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same;
}

void a4_collect(a4_vm *vm) { lua_gc(vm->L, LUA_GCCOLLECT); }

size_t a4_memory_used(a4_vm *vm) { return vm->used; }
