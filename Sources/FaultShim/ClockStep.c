// Steps the wall clock of one process, for `herd --faults clock-jump`: loaded with LD_PRELOAD into a unit that herd
// starts, it adds an offset read from a file to CLOCK_REALTIME, as an NTP step would. The monotonic clocks are left
// alone (NTP does not step them either), so timeouts and the event loops' timers run on.
//
// Why not libfaketime: under Debian's libfaketime 0.9.10 a Swift 6.3 program sees no command-line arguments at all
// (CommandLine.arguments is empty, so a unit cannot even parse its options).
//
// The file named by FLASHSALE_FAULT_CLOCK_FILE holds the step in milliseconds (a decimal integer, negative for
// back); herd writes it whole with rename(2). It is read again at most every 20 ms when the process reads the wall
// clock, and each new step acknowledged in "<file>.ack" (ShimFile.c). Without the variable the clock is not
// stepped; while the file cannot be read, the last step read stays. Only clock_gettime, gettimeofday and time are
// stepped: a kernel wait on an absolute CLOCK_REALTIME deadline is not (the project's code has none).

#define _GNU_SOURCE
#include "ShimFile.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

static _Atomic(clock_gettime_fn) real_clock_gettime_ptr;
static _Atomic int64_t step_ns;
static struct shim_file step_file = SHIM_FILE("FLASHSALE_FAULT_CLOCK_FILE");

static clock_gettime_fn real_clock_gettime(void) {
    clock_gettime_fn fn = atomic_load_explicit(&real_clock_gettime_ptr, memory_order_acquire);
    if (fn == NULL) {
        fn = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
        atomic_store_explicit(&real_clock_gettime_ptr, fn, memory_order_release);
    }
    return fn;
}

__attribute__((constructor)) static void clock_step_setup(void) { shim_file_setup(&step_file); }

// Takes the step from the file when it is due, and acknowledges it; other threads meanwhile use the step they find.
static void refresh_step(void) {
    char text[32];
    if (shim_file_read(&step_file, text, sizeof text) < 0) return;
    int saved = errno;
    char *end = NULL;
    long long milliseconds = strtoll(text, &end, 10);
    // At most a day either way: a step, not a way to overflow the arithmetic below.
    int valid = end != text && milliseconds >= -86400000LL && milliseconds <= 86400000LL;
    if (valid) atomic_store_explicit(&step_ns, (int64_t)milliseconds * 1000000, memory_order_relaxed);
    shim_file_done(&step_file, valid ? text : NULL);
    errno = saved;
}

static void add_step(struct timespec *time) {
    refresh_step();
    int64_t step = atomic_load_explicit(&step_ns, memory_order_relaxed);
    if (step == 0) return;
    int64_t total = (int64_t)time->tv_sec * 1000000000 + time->tv_nsec + step;
    time->tv_sec = (time_t)(total / 1000000000);
    time->tv_nsec = (long)(total % 1000000000);
    if (time->tv_nsec < 0) {
        time->tv_nsec += 1000000000;
        time->tv_sec -= 1;
    }
}

int clock_gettime(clockid_t clock, struct timespec *time) {
    int result = real_clock_gettime()(clock, time);
    if (result == 0 && (clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE)) add_step(time);
    return result;
}

int gettimeofday(struct timeval *restrict value, void *restrict zone) {
    // The obsolete time zone argument: glibc fills it with zeros.
    // (`value` is declared nonnull by glibc's header: a caller passing NULL breaks libc's contract, not ours.)
    if (zone != NULL) memset(zone, 0, sizeof(struct timezone));
    struct timespec now;
    int result = clock_gettime(CLOCK_REALTIME, &now);
    if (result == 0) {
        value->tv_sec = now.tv_sec;
        value->tv_usec = (suseconds_t)(now.tv_nsec / 1000);
    }
    return result;
}

time_t time(time_t *out) {
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0) return (time_t)-1;
    if (out != NULL) *out = now.tv_sec;
    return now.tv_sec;
}
