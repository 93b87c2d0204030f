#ifndef CLUASHIM_H
#define CLUASHIM_H

#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>
#include <stddef.h>
#include <stdint.h>

/// What stopped a run that the hook killed.
enum a4_kill_reason {
    A4_KILL_NONE = 0,
    A4_KILL_INSTRUCTIONS = 1,
    A4_KILL_DEADLINE = 2,
    A4_KILL_REQUESTED = 3,
};

/// Result codes a Swift host function returns to the C trampoline.
enum a4_host_result {
    A4_HOST_YIELD = -1,   /* the host recorded an async request: yield to the driver */
};

/// Budget and deadline shared by a top-level send and all its nested sends.
///
/// The instruction budget counts Lua VM instructions and, in the same units, the work done
/// outside the VM on the send's behalf: steps of the bounded library functions (pattern
/// matching, table.move, ...), bytes allocated, values the host reads or pushes.
typedef struct a4_budget {
    int64_t instructions_left;
    double deadline;          /* CLOCK_MONOTONIC seconds; 0 = none */
    size_t memory_ceiling;    /* absolute allocator ceiling while this budget runs */
    int kill_reason;          /* enum a4_kill_reason */
    int64_t until_clock;      /* units to spend before the deadline is read again */
} a4_budget;

/// Spends `units` of work from `budget` (reading the clock every so often) and answers the
/// kill reason: A4_KILL_NONE while the send may go on. Never raises; callable from Swift.
int a4_budget_spend(a4_budget *budget, int64_t units);

/// Units spent between two readings of the clock, and the units one allocated byte costs.
enum { A4_CLOCK_EVERY = 1 << 16, A4_BYTES_PER_UNIT = 64 };

/// Swift's host callback: reads arguments from L, pushes results, returns their count,
/// or A4_HOST_YIELD after recording an async request. It never raises a Lua error.
typedef int (*a4_host_fn)(void *vm_context, intptr_t run_token, lua_State *L, int opcode);

/// The thread that stops a run whose deadline passes inside one long VM instruction.
typedef struct a4_watchdog a4_watchdog;

/// One sandboxed Lua state with a counting allocator.
typedef struct a4_vm {
    lua_State *L;
    size_t used;              /* bytes currently allocated */
    size_t limit;             /* hard cap for the whole state */
    int enforce;              /* > 0 while Lua code runs: caps are enforced */
    a4_budget *budget;        /* budget of the run being resumed, or NULL */
    intptr_t run_token;       /* token of the run being resumed */
    a4_host_fn host;
    void *host_context;
    int hook_interval;
    int64_t alloc_unbilled;   /* bytes allocated since the allocator last spent budget */
    a4_watchdog *watchdog;    /* started with the first run that has a deadline, or NULL */
} a4_vm;

/// Creates a state with a memory cap; NULL on failure. Opens the sandbox (protected).
a4_vm *a4_vm_new(size_t memory_limit, int hook_interval, a4_host_fn host, void *host_context,
                 char *error_out, size_t error_len);
void a4_vm_free(a4_vm *vm);

/// Registers a host primitive named `name` in the sandbox's private host table.
/// Must be called before a4_vm_seal. Returns 0 on success.
int a4_vm_add_host(a4_vm *vm, const char *name, int opcode);

/// Runs the prelude (Lua source that builds the public sandbox from the private host table),
/// then seals the sandbox. Returns 0 on success, otherwise writes the error.
int a4_vm_run_prelude(a4_vm *vm, const char *source, size_t len, char *error_out, size_t error_len);

/// Compiles a method body (text only) into a function `function(_ENV, self, args, ...)`.
/// On success pushes the function on vm->L and returns 0; on failure pushes nothing, returns
/// a Lua status and writes the message.
int a4_compile_method(a4_vm *vm, const char *name, const char *source, size_t len,
                      char *error_out, size_t error_len);

/// Checks that `source` compiles as a text chunk, without running anything.
int a4_check_syntax(a4_vm *vm, const char *name, const char *source, size_t len,
                    char *error_out, size_t error_len);

/// Creates a coroutine for a run, with the hook installed; pushes it on vm->L.
lua_State *a4_new_run_thread(a4_vm *vm);

/// Resumes `co` under `budget` with caps enforced. Returns the lua_resume status.
/// When the hook killed the run, returns LUA_YIELD and budget->kill_reason is set.
int a4_resume(a4_vm *vm, lua_State *co, a4_budget *budget, intptr_t run_token, int nargs, int *nresults);

/// Pushes a traceback of `co` with `message` onto vm->L (caps off).
void a4_push_traceback(a4_vm *vm, lua_State *co, const char *message);

/// Pushes a fresh per-run environment table (a table whose __index is the sandbox).
void a4_push_run_env(a4_vm *vm);

/// Pushes the prelude's self-proxy factory `make_self(name)`.
void a4_push_make_self(a4_vm *vm);

/// Pushes the JSON null sentinel and the JSON array metatable.
void a4_push_json_null(lua_State *L);
int a4_is_json_null(lua_State *L, int index);
void a4_set_json_array_mt(lua_State *L, int index);
int a4_has_json_array_mt(lua_State *L, int index);

/// Full garbage collection (after a failed run).
void a4_collect(a4_vm *vm);
size_t a4_memory_used(a4_vm *vm);
double a4_now(void);

/* Lua macros Swift cannot see. */
static inline void a4_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void a4_newtable(lua_State *L) { lua_newtable(L); }
static inline const char *a4_tostring(lua_State *L, int i, size_t *len) { return lua_tolstring(L, i, len); }
static inline int a4_isnil(lua_State *L, int i) { return lua_isnil(L, i); }
static inline int a4_isnoneornil(lua_State *L, int i) { return lua_isnoneornil(L, i); }
static inline int a4_registry_index(void) { return LUA_REGISTRYINDEX; }
static inline void a4_remove(lua_State *L, int i) { lua_remove(L, i); }
static inline void a4_insert(lua_State *L, int i) { lua_insert(L, i); }
static inline void a4_replace(lua_State *L, int i) { lua_replace(L, i); }
static inline lua_Integer a4_tointeger(lua_State *L, int i, int *isnum) { return lua_tointegerx(L, i, isnum); }
static inline lua_Number a4_tonumber(lua_State *L, int i, int *isnum) { return lua_tonumberx(L, i, isnum); }
static inline void *a4_touserdata(lua_State *L, int i) { return lua_touserdata(L, i); }
#endif
