#ifndef FLOE_ALLOCATOR_H
#define FLOE_ALLOCATOR_H

#include <stddef.h>

// The C library allocator's tuning and statistics, for Swift: <malloc.h> is not part of the
// Glibc module. Each is a no-op (or returns -1) where the C library is not glibc.

// Caps the number of malloc arenas (M_ARENA_MAX). Returns 1 when set.
int floe_allocator_limit_arenas(int arenas);

// malloc_trim(0): hands free pages back to the kernel. Returns 1 when some were.
int floe_allocator_trim(void);

// Bytes the program holds allocated and not yet freed (mallinfo2's uordblks + hblkhd), or -1.
// Unlike the resident size, it does not move with pages the allocator keeps or gives back.
long long floe_allocator_in_use_bytes(void);

#endif
