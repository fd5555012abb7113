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
