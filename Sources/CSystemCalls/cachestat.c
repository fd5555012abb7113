#define _GNU_SOURCE
#include "floe_system_calls.h"

#include <errno.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/syscall.h>
#if !defined(__NR_cachestat) && (defined(__x86_64__) && !defined(__ILP32__) || defined(__aarch64__) || defined(__arm__) || defined(__riscv))
#define __NR_cachestat 451  // the number in these architectures' tables (not MIPS', alpha's or x32's)
#endif
#endif

struct floe_cachestat_range {
    uint64_t off;
    uint64_t len;
};

struct floe_cachestat_counts {
    uint64_t nr_cache;
    uint64_t nr_dirty;
    uint64_t nr_writeback;
    uint64_t nr_evicted;
    uint64_t nr_recently_evicted;
};

int floe_cachestat(int fd, uint64_t offset, uint64_t length, uint64_t *cached, uint64_t *total) {
#if defined(__linux__) && defined(__NR_cachestat)
    if (length == 0) {
        *cached = 0;
        *total = 0;
        return 0;
    }
    struct floe_cachestat_range range = {offset, length};
    struct floe_cachestat_counts counts = {0};
    if (syscall(__NR_cachestat, fd, &range, &counts, 0) != 0) return -1;
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) page = 4096;
    *cached = counts.nr_cache;
    *total = (offset + length - 1) / (uint64_t)page - offset / (uint64_t)page + 1;
    return 0;
#else
    (void)fd, (void)offset, (void)length, (void)cached, (void)total;
    errno = ENOSYS;
    return -1;
#endif
}
