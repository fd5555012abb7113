#ifndef FLOE_MD5LANES_H
#define FLOE_MD5LANES_H

#include <stddef.h>
#include <stdint.h>

/// Runs `blocks` 64-byte blocks of `data` through the MD5 compression function.
void floe_md5_blocks(uint32_t state[4], const uint8_t *data, size_t blocks);

/// For each of `count` streams (at most 8), runs `blocks[i]` blocks of `data[i]` into
/// `states[i]`; streams share vector lanes while at least two have blocks left.
void floe_md5_lanes(uint32_t (*states)[4], const uint8_t *const *data, const size_t *blocks, int count);

#endif
