// See ShimFile.h.

#define _GNU_SOURCE
#include "ShimFile.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);

// libc's clock_gettime (the vDSO's, no system call), looked up by the constructor.
static clock_gettime_fn monotonic_clock;

void shim_file_setup(struct shim_file *file) {
    if (monotonic_clock == NULL) monotonic_clock = (clock_gettime_fn)dlsym(RTLD_NEXT, "clock_gettime");
    const char *path = getenv(file->variable);
    if (path != NULL && strlen(path) < sizeof file->path) strcpy(file->path, path);
}

long shim_file_read(struct shim_file *file, char *text, size_t size) {
    if (file->path[0] == 0 || size < 2 || monotonic_clock == NULL) return -1;
    int saved = errno;
    struct timespec mono;
    if (monotonic_clock(CLOCK_MONOTONIC_COARSE, &mono) != 0) {
        errno = saved;
        return -1;
    }
    int64_t now = (int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec;
    if (now < atomic_load_explicit(&file->next_read_ns, memory_order_relaxed)) {
        errno = saved;
        return -1;
    }
    int expected = 0;
    if (!atomic_compare_exchange_strong(&file->reading, &expected, 1)) {
        errno = saved;
        return -1;
    }
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
    if (length < 0) atomic_store(&file->reading, 0);
    errno = saved;
    return length;
}

void shim_file_done(struct shim_file *file, const char *applied) {
    if (applied != NULL && strncmp(file->last, applied, sizeof file->last) != 0) {
        int saved = errno;
        char ack[sizeof file->path + 8];
        char partial[sizeof file->path + 12];
        strcpy(ack, file->path);
        strcat(ack, ".ack");
        strcpy(partial, ack);
        strcat(partial, ".new");
        int fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            size_t length = strlen(applied);
            // The system call itself: NetworkCut.c interposes write.
            long written = syscall(SYS_write, fd, applied, length);
            close(fd);
            if (written == (long)length && rename(partial, ack) == 0) {
                strncpy(file->last, applied, sizeof file->last - 1);
                file->last[sizeof file->last - 1] = 0;
            }
        }
        errno = saved;
    }
    atomic_store(&file->reading, 0);
}
