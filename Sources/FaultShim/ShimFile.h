// What both faults of the shim share: a small file, named by an environment variable, read again at most every
// 20 ms of monotonic time and acknowledged once applied.
#ifndef SHIM_FILE_H
#define SHIM_FILE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/// One file the shim follows. `path` is set once, by the library's constructor (before main, on one thread), so
/// nothing here needs pthread_once or thread-local state and every function is safe inside a signal handler.
struct shim_file {
    const char *variable;
    char path[4096];
    _Atomic int64_t next_read_ns;
    _Atomic int reading;
    /// What the file held when last acknowledged (to acknowledge a change once); starts as "\x01", which no file
    /// holds, so the first read is acknowledged too.
    char last[2048];
};

#define SHIM_FILE(name) { name, {0}, 0, 0, {1} }

/// Takes the path from the environment; called from the constructor only.
void shim_file_setup(struct shim_file *file);

/// Copies the file into `text` (NUL-terminated) when it is due, and returns its length; returns -1 when it is
/// not due, another thread is reading it, there is no such variable, or the file cannot be read. On a length of 0
/// or more the caller holds the file: no other thread reads it until the caller has applied what it read and called
/// `shim_file_done`, so a thread that read an older text can never apply it after a newer one. Calls no function
/// the shim interposes, and leaves errno as it found it.
long shim_file_read(struct shim_file *file, char *text, size_t size);

/// Releases the file after `shim_file_read`. With `applied` (the text read, now in force) it tells herd so:
/// the text goes to "<path>.ack", written whole (a new file renamed over the old) when it differs from what was
/// acknowledged last. herd waits for the acknowledgement before it counts a fault as struck or healed.
void shim_file_done(struct shim_file *file, const char *applied);

#endif
