// What both faults of the shim share: a small file read again at most every 20 ms of monotonic time.
#ifndef SHIM_FILE_H
#define SHIM_FILE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/// One file the shim follows: its path (from an environment variable, read once) and when to read it next.
struct shim_file {
    const char *variable;
    const char *path;
    pthread_once_t once;
    _Atomic int64_t next_read_ns;
    _Atomic int reading;
};

#define SHIM_FILE(name) { name, NULL, PTHREAD_ONCE_INIT, 0, 0 }

/// Copies the file into `text` (NUL-terminated) when it is due, and returns its length; returns -1 when it is
/// not due, another thread is reading it, there is no such variable, or the file cannot be read. Calls no
/// function the shim interposes, so it can run inside any of them.
long shim_file_read(struct shim_file *file, char *text, size_t size);

#endif
