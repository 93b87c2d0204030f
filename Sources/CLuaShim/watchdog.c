// The deadline inside one long VM instruction.
//
// The hook runs between instructions, and one instruction can run for seconds: `a < b` on two
// long strings of "\0" compares them with strcoll piece by piece, and no count reaches the hook
// meanwhile. Like lua.c on SIGINT, a thread of the VM's own watches the deadline of the run
// being resumed and, once it has passed, sets the hook of that coroutine to fire on the very
// next instruction (lua_sethook may be called asynchronously); the hook then reads the clock and
// stops the run.
//
// The watchdog touches a coroutine only while a4_resume runs it: arming and disarming happen
// under the watchdog's lock, and the lock is held while it calls lua_sethook, so a coroutine
// that has finished (or a state reused by the next run) is never touched.
#include "CLuaShim.h"
#include "a4_limits.h"
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

struct a4_watchdog {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    int stopping;
    lua_State *running;       /* the coroutine inside a4_resume, or NULL */
    double deadline;          /* its run's deadline (CLOCK_MONOTONIC seconds); 0 = none */
    uint64_t generation;      /* counts arms: a fired kill belongs to one of them */
    uint64_t fired;           /* the generation whose coroutine was last armed to stop */
    double wake_at;           /* when the thread looks next; INFINITY while it waits for an arm */
};

static struct timespec timespec_of(double seconds) {
    struct timespec ts;
    ts.tv_sec = (time_t)seconds;
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    if (ts.tv_nsec >= 1000000000L) { ts.tv_sec += 1; ts.tv_nsec -= 1000000000L; }
    if (ts.tv_nsec < 0) ts.tv_nsec = 0;
    return ts;
}

static void *watch(void *argument) {
    a4_watchdog *w = argument;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        double next = INFINITY;
        if (w->running != NULL && w->deadline > 0 && w->fired != w->generation) {
            if (a4_now() > w->deadline) {
                a4_arm_kill(w->running);
                w->fired = w->generation;
            } else {
                next = w->deadline;
            }
        }
        // Deadlines that will not come in any run's lifetime are waited for like none at all.
        if (next - a4_now() > 1e7) next = INFINITY;
        w->wake_at = next;
        if (isinf(next)) {
            pthread_cond_wait(&w->wake, &w->lock);
        } else {
            struct timespec until = timespec_of(next);
            pthread_cond_timedwait(&w->wake, &w->lock, &until);
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static a4_watchdog *start_watchdog(void) {
    a4_watchdog *w = calloc(1, sizeof(a4_watchdog));
    if (w == NULL) return NULL;
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&w->wake, &attributes);
    pthread_condattr_destroy(&attributes);
    pthread_mutex_init(&w->lock, NULL);
    w->wake_at = INFINITY;
    pthread_attr_t thread_attributes;
    pthread_attr_init(&thread_attributes);
    pthread_attr_setstacksize(&thread_attributes, 64 * 1024);
    int failed = pthread_create(&w->thread, &thread_attributes, watch, w);
    pthread_attr_destroy(&thread_attributes);
    if (failed) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return NULL;
    }
    return w;
}

a4_watch a4_watchdog_arm(a4_vm *vm, lua_State *co, double deadline) {
    a4_watch previous = { NULL, 0, 0 };
    if (vm->watchdog == NULL && deadline > 0) vm->watchdog = start_watchdog();
    a4_watchdog *w = vm->watchdog;
    if (w == NULL) return previous;   // no thread: the hook's own checks still hold between instructions
    pthread_mutex_lock(&w->lock);
    previous.armed = 1;
    previous.running = w->running;
    previous.deadline = w->deadline;
    w->running = co;
    w->deadline = deadline;
    w->generation++;
    // The thread already wakes by then (it only ever wakes early): most runs cost no syscall.
    if (deadline < w->wake_at) pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    return previous;
}

void a4_watchdog_disarm(a4_vm *vm, a4_watch previous) {
    a4_watchdog *w = vm->watchdog;
    if (w == NULL || !previous.armed) return;
    pthread_mutex_lock(&w->lock);
    w->running = previous.running;
    w->deadline = previous.deadline;
    w->generation++;
    if (previous.running != NULL && previous.deadline < w->wake_at) pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

void a4_watchdog_stop(a4_vm *vm) {
    a4_watchdog *w = vm->watchdog;
    if (w == NULL) return;
    pthread_mutex_lock(&w->lock);
    w->stopping = 1;
    w->running = NULL;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
    vm->watchdog = NULL;
}
