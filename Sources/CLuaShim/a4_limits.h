// Charging the work of C library functions against the running send's limits.
//
// The instruction hook only fires between Lua instructions, so a C function that loops
// (pattern matching, table.move over 2^40 slots, ...) would run past every limit. The bounded
// library functions in this target count their steps with an a4_meter and pay them in batches:
// a batch spends budget and now and then reads the clock; when a limit has struck it raises a
// Lua error and arms the hook so that the very next instruction yields the run to the host.
#ifndef A4_LIMITS_H
#define A4_LIMITS_H

#include "CLuaShim.h"

/// Steps a meter counts before it pays them to the budget.
#define A4_METER_BATCH 1024

/// Counts the steps of one library call; pays them to the send's budget in batches.
typedef struct a4_meter {
    lua_State *L;
    int64_t left;   /* steps left in the current batch; paid when it drops below zero */
} a4_meter;

/// Spends `units` from the running send's budget; raises a Lua error when a limit has struck.
void a4_charge(lua_State *L, int64_t units);

/// Arms the hook of `L` to fire on the next instruction (after a limit struck).
void a4_arm_kill(lua_State *L);

static inline void a4_meter_init(a4_meter *m, lua_State *L) {
    m->L = L;
    m->left = A4_METER_BATCH;
}

/// Pays the steps counted since the last payment (and may raise).
static inline void a4_meter_pay(a4_meter *m) {
    int64_t spent = A4_METER_BATCH - m->left;
    m->left = A4_METER_BATCH;
    if (spent > 0) a4_charge(m->L, spent);
}

/// Counts `n` steps.
static inline void a4_meter_step(a4_meter *m, int64_t n) {
    m->left -= n;
    if (m->left < 0) a4_meter_pay(m);
}

/// What a4_watchdog_arm replaced, for a4_watchdog_disarm to put back.
typedef struct a4_watch {
    lua_State *running;
    double deadline;
    int armed;
} a4_watch;

/// Has the VM's watchdog stop `co` at its next instruction once `deadline` has passed, until
/// disarmed. Called by a4_resume around lua_resume; starts the watchdog's thread when needed.
a4_watch a4_watchdog_arm(a4_vm *vm, lua_State *co, double deadline);
void a4_watchdog_disarm(a4_vm *vm, a4_watch previous);
/// Ends the watchdog's thread (when the VM is freed).
void a4_watchdog_stop(a4_vm *vm);

/// Replaces the C function `table[name]` by a closure of `wrapper` over it (upvalue 1).
void a4_wrap_field(lua_State *L, int table, const char *name, lua_CFunction wrapper);

/// Installs the bounded library functions over the sandbox's copies (at index `sandbox`).
void a4_open_bounded_string(lua_State *L, int sandbox);
void a4_open_bounded_table(lua_State *L, int sandbox);
void a4_open_bounded_utf8(lua_State *L, int sandbox);
void a4_open_bounded_base(lua_State *L, int sandbox);

#endif
