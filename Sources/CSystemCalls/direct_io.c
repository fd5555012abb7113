#define _GNU_SOURCE
#include "floe_system_calls.h"

#include <errno.h>
#include <fcntl.h>

int floe_set_direct_io(int fd, int on) {
#ifdef O_DIRECT
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) return -1;
    int wanted = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
    if (wanted == flags) return 0;
    return fcntl(fd, F_SETFL, wanted);
#else
    (void)fd;
    if (!on) return 0;
    errno = EINVAL;
    return -1;
#endif
}

#ifdef __linux__
#include <sys/vfs.h>
#endif

int floe_is_in_memory_file_system(const char *path) {
#ifdef __linux__
    struct statfs info;
    if (statfs(path, &info) != 0) return 0;
    // TMPFS_MAGIC and RAMFS_MAGIC (linux/magic.h)
    return info.f_type == 0x01021994 || info.f_type == (__typeof__(info.f_type))0x858458f6;
#else
    (void)path;
    return 0;
#endif
}
