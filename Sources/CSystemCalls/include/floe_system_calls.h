#ifndef FLOE_SYSTEM_CALLS_H
#define FLOE_SYSTEM_CALLS_H

#include <stdint.h>

// Linux system calls that the C library does not wrap, for Swift, which cannot call the variadic
// syscall(2), and flags Swift's view of the C library leaves out.

// cachestat(2), Linux 6.5: how many pages of the `length` bytes of `fd` from `offset` are in the
// page cache, in *cached, and how many pages the range spans, in *total. Returns 0, or -1 with
// errno (ENOSYS on older kernels and other systems).
int floe_cachestat(int fd, uint64_t offset, uint64_t length, uint64_t *cached, uint64_t *total);

// Turns O_DIRECT on or off for the open file `fd` (fcntl F_SETFL; the flag is O_DIRECT's value on
// this architecture, which differs between x86-64 and arm64). Returns 0, or -1 with errno: EINVAL
// where the file system does not take direct I/O, and always when turning it on where the system
// has no O_DIRECT.
int floe_set_direct_io(int fd, int on);

// 1 when `path` is on a file system held in memory (tmpfs, ramfs), where a direct write would
// land in the same pages as any other (tmpfs takes O_DIRECT since Linux 6.6; ramfs refuses it);
// else 0.
int floe_is_in_memory_file_system(const char *path);

#endif
