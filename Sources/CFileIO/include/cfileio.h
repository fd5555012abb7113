#ifndef FLOE_CFILEIO_H
#define FLOE_CFILEIO_H

#include <sys/types.h>

/// Starts writeback of [offset, offset + length) of an open file and returns at once
/// (sync_file_range with SYNC_FILE_RANGE_WRITE, which the C library declares only under
/// _GNU_SOURCE). Returns 0, or -1 with errno set; does nothing where the call does not exist.
int floe_start_writeback(int fd, off_t offset, off_t length);

#endif
