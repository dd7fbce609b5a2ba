// Process-wide SQLite settings that only the C API can make (sqlite3_config is variadic: Swift cannot call it).

#ifndef SQLITE_TUNING_H
#define SQLITE_TUNING_H

/// Before SQLite's first use in the process: connections open in multi-thread mode (no mutex around each call on a
/// connection; GRDB already gives a connection to one thread at a time) and without allocation statistics (no global
/// mutex around every allocation). Returns SQLite's result code: SQLITE_MISUSE (21) once SQLite was already in use,
/// and then nothing changed.
int flashsale_sqlite_configure(void);

#endif
