// See ShimFile.h.

#define _GNU_SOURCE
#include "ShimFile.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static __thread struct shim_file *current;

static void find_path(void) { current->path = getenv(current->variable); }

long shim_file_read(struct shim_file *file, char *text, size_t size) {
    current = file;
    pthread_once(&file->once, find_path);
    if (file->path == NULL || size < 2) return -1;
    struct timespec mono;
    // The raw system call: clock_gettime is interposed by ClockStep.c (it leaves CLOCK_MONOTONIC alone, but this
    // must not depend on that).
    if (syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &mono) != 0) return -1;
    int64_t now = (int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec;
    if (now < atomic_load_explicit(&file->next_read_ns, memory_order_relaxed)) return -1;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&file->reading, &expected, 1)) return -1;
    atomic_store_explicit(&file->next_read_ns, now + 20000000, memory_order_relaxed);
    long length = -1;
    int fd = open(file->path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        // pread, not read: NetworkCut.c interposes read.
        ssize_t got = pread(fd, text, size - 1, 0);
        close(fd);
        if (got >= 0) {
            text[got] = 0;
            length = (long)got;
        }
    }
    atomic_store(&file->reading, 0);
    return length;
}
