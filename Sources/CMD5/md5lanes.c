// MD5 (RFC 1321) block functions: one stream, and up to eight streams in vector lanes, so
// that concurrent uploads share one pass of the vector unit (their MD5 is their ETag).
#include "md5lanes.h"
#include <string.h>

// A step is a = b + ((a + f(b, c, d) + m + k) <<< s), and b is the one value a step waits
// for: everything else is summed first, so that only f's last operations, one addition, the
// rotation and the addition of b follow b. Compilers reorder a sum freely (clang put f first,
// then three additions: a quarter less speed), so the early sum is made opaque to them.
// G's two halves are disjoint and so added one by one, the half without b first; H takes y ^ z
// before b.
#define F(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define H(x, y, z) ((x) ^ ((y) ^ (z)))
#define I(x, y, z) ((y) ^ ((x) | ~(z)))
#define ROTL(x, s) (((x) << (s)) | ((x) >> (32 - (s))))
#define STEP_F STEP_WITH
#define STEP_H STEP_WITH
#define STEP_I STEP_WITH
#define STEP_WITH(f, a, b, c, d, m, k, s) \
    a += (m) + (uint32_t)(k); OPAQUE(a); a += f(b, c, d); a = ROTL(a, s) + b
#define STEP_G(f, a, b, c, d, m, k, s) \
    a += (m) + (uint32_t)(k) + (~(d) & (c)); OPAQUE(a); a += (d) & (b); a = ROTL(a, s) + b
#define STEP(f, a, b, c, d, m, k, s) STEP_##f(f, a, b, c, d, m, k, s)
#define OPAQUE(t) __asm__("" : "+r"(t))

static inline uint32_t load_le32(const uint8_t *p) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
#else
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
#endif
}

// A step of MD5_STEPS on the block's words `w` (scalars for one stream, vectors for lanes).
#define BLOCK_STEP(f, a, b, c, d, i, k, s) STEP(f, a, b, c, d, w[i], k, s);

// The 64 steps: X(function, a, b, c, d, message word, constant, rotation); the constants are
// floor(|sin(i + 1)| * 2^32).
#define MD5_STEPS(X) \
    X(F, a, b, c, d, 0, 0xd76aa478u, 7) \
    X(F, d, a, b, c, 1, 0xe8c7b756u, 12) \
    X(F, c, d, a, b, 2, 0x242070dbu, 17) \
    X(F, b, c, d, a, 3, 0xc1bdceeeu, 22) \
    X(F, a, b, c, d, 4, 0xf57c0fafu, 7) \
    X(F, d, a, b, c, 5, 0x4787c62au, 12) \
    X(F, c, d, a, b, 6, 0xa8304613u, 17) \
    X(F, b, c, d, a, 7, 0xfd469501u, 22) \
    X(F, a, b, c, d, 8, 0x698098d8u, 7) \
    X(F, d, a, b, c, 9, 0x8b44f7afu, 12) \
    X(F, c, d, a, b, 10, 0xffff5bb1u, 17) \
    X(F, b, c, d, a, 11, 0x895cd7beu, 22) \
    X(F, a, b, c, d, 12, 0x6b901122u, 7) \
    X(F, d, a, b, c, 13, 0xfd987193u, 12) \
    X(F, c, d, a, b, 14, 0xa679438eu, 17) \
    X(F, b, c, d, a, 15, 0x49b40821u, 22) \
    X(G, a, b, c, d, 1, 0xf61e2562u, 5) \
    X(G, d, a, b, c, 6, 0xc040b340u, 9) \
    X(G, c, d, a, b, 11, 0x265e5a51u, 14) \
    X(G, b, c, d, a, 0, 0xe9b6c7aau, 20) \
    X(G, a, b, c, d, 5, 0xd62f105du, 5) \
    X(G, d, a, b, c, 10, 0x02441453u, 9) \
    X(G, c, d, a, b, 15, 0xd8a1e681u, 14) \
    X(G, b, c, d, a, 4, 0xe7d3fbc8u, 20) \
    X(G, a, b, c, d, 9, 0x21e1cde6u, 5) \
    X(G, d, a, b, c, 14, 0xc33707d6u, 9) \
    X(G, c, d, a, b, 3, 0xf4d50d87u, 14) \
    X(G, b, c, d, a, 8, 0x455a14edu, 20) \
    X(G, a, b, c, d, 13, 0xa9e3e905u, 5) \
    X(G, d, a, b, c, 2, 0xfcefa3f8u, 9) \
    X(G, c, d, a, b, 7, 0x676f02d9u, 14) \
    X(G, b, c, d, a, 12, 0x8d2a4c8au, 20) \
    X(H, a, b, c, d, 5, 0xfffa3942u, 4) \
    X(H, d, a, b, c, 8, 0x8771f681u, 11) \
    X(H, c, d, a, b, 11, 0x6d9d6122u, 16) \
    X(H, b, c, d, a, 14, 0xfde5380cu, 23) \
    X(H, a, b, c, d, 1, 0xa4beea44u, 4) \
    X(H, d, a, b, c, 4, 0x4bdecfa9u, 11) \
    X(H, c, d, a, b, 7, 0xf6bb4b60u, 16) \
    X(H, b, c, d, a, 10, 0xbebfbc70u, 23) \
    X(H, a, b, c, d, 13, 0x289b7ec6u, 4) \
    X(H, d, a, b, c, 0, 0xeaa127fau, 11) \
    X(H, c, d, a, b, 3, 0xd4ef3085u, 16) \
    X(H, b, c, d, a, 6, 0x04881d05u, 23) \
    X(H, a, b, c, d, 9, 0xd9d4d039u, 4) \
    X(H, d, a, b, c, 12, 0xe6db99e5u, 11) \
    X(H, c, d, a, b, 15, 0x1fa27cf8u, 16) \
    X(H, b, c, d, a, 2, 0xc4ac5665u, 23) \
    X(I, a, b, c, d, 0, 0xf4292244u, 6) \
    X(I, d, a, b, c, 7, 0x432aff97u, 10) \
    X(I, c, d, a, b, 14, 0xab9423a7u, 15) \
    X(I, b, c, d, a, 5, 0xfc93a039u, 21) \
    X(I, a, b, c, d, 12, 0x655b59c3u, 6) \
    X(I, d, a, b, c, 3, 0x8f0ccc92u, 10) \
    X(I, c, d, a, b, 10, 0xffeff47du, 15) \
    X(I, b, c, d, a, 1, 0x85845dd1u, 21) \
    X(I, a, b, c, d, 8, 0x6fa87e4fu, 6) \
    X(I, d, a, b, c, 15, 0xfe2ce6e0u, 10) \
    X(I, c, d, a, b, 6, 0xa3014314u, 15) \
    X(I, b, c, d, a, 13, 0x4e0811a1u, 21) \
    X(I, a, b, c, d, 4, 0xf7537e82u, 6) \
    X(I, d, a, b, c, 11, 0xbd3af235u, 10) \
    X(I, c, d, a, b, 2, 0x2ad7d2bbu, 15) \
    X(I, b, c, d, a, 9, 0xeb86d391u, 21)

void floe_md5_blocks(uint32_t state[4], const uint8_t *data, size_t blocks) {
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    for (size_t n = 0; n < blocks; n++, data += 64) {
        uint32_t w[16];
        for (int j = 0; j < 16; j++) w[j] = load_le32(data + 4 * j);
        uint32_t a0 = a, b0 = b, c0 = c, d0 = d;
        MD5_STEPS(BLOCK_STEP)
        a += a0; b += b0; c += c0; d += d0;
    }
    state[0] = a; state[1] = b; state[2] = c; state[3] = d;
}

typedef uint32_t lanes8 __attribute__((vector_size(32)));

// Eight lanes in step for `blocks` blocks each; lane l reads block n at data[l] + stride[l] * n.
#define LANES_BODY                                                                              \
    lanes8 a, b, c, d;                                                                          \
    for (int l = 0; l < 8; l++) {                                                               \
        a[l] = states[l][0]; b[l] = states[l][1]; c[l] = states[l][2]; d[l] = states[l][3];     \
    }                                                                                           \
    for (size_t n = 0; n < blocks; n++) {                                                       \
        lanes8 w[16];                                                                           \
        for (int j = 0; j < 16; j++)                                                            \
            for (int l = 0; l < 8; l++) w[j][l] = load_le32(data[l] + stride[l] * n + 4 * j);  \
        lanes8 a0 = a, b0 = b, c0 = c, d0 = d;                                                  \
        MD5_STEPS(BLOCK_STEP)                                                                   \
        a += a0; b += b0; c += c0; d += d0;                                                     \
    }                                                                                           \
    for (int l = 0; l < 8; l++) {                                                               \
        states[l][0] = a[l]; states[l][1] = b[l]; states[l][2] = c[l]; states[l][3] = d[l];     \
    }

// Vector lanes gain nothing from the opaque sum (measured), and their registers differ by target.
#undef OPAQUE
#define OPAQUE(t) (void)0
static void lanes_generic(uint32_t states[8][4], const uint8_t *const data[8], const size_t stride[8], size_t blocks) {
    LANES_BODY
}

#if defined(__x86_64__)
__attribute__((target("avx2")))
static void lanes_avx2(uint32_t states[8][4], const uint8_t *const data[8], const size_t stride[8], size_t blocks) {
    LANES_BODY
}
#endif

static void lanes8_step(uint32_t states[8][4], const uint8_t *const data[8], const size_t stride[8], size_t blocks) {
#if defined(__x86_64__)
    static int avx2 = -1;
    if (avx2 < 0) avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    if (avx2) { lanes_avx2(states, data, stride, blocks); return; }
#endif
    lanes_generic(states, data, stride, blocks);
}

static const uint8_t idle_block[64];

// `blocks` blocks of each of `count` (at most 8) streams, in vector lanes; spare lanes hash a
// block of zeros again and again into a scratch state.
static void in_vector_lanes(uint32_t *const states[], const uint8_t *const data[], int count, size_t blocks) {
    uint32_t lane_states[8][4];
    const uint8_t *lane_data[8];
    size_t stride[8];
    for (int l = 0; l < 8; l++) {
        if (l < count) {
            memcpy(lane_states[l], states[l], sizeof lane_states[l]);
            lane_data[l] = data[l];
            stride[l] = 64;
        } else {
            memset(lane_states[l], 0, sizeof lane_states[l]);
            lane_data[l] = idle_block;
            stride[l] = 0;
        }
    }
    lanes8_step(lane_states, lane_data, stride, blocks);
    for (int l = 0; l < count; l++) memcpy(states[l], lane_states[l], sizeof lane_states[l]);
}

void floe_md5_lanes(uint32_t (*states)[4], const uint8_t *const *data, const size_t *blocks, int count) {
    // Streams still running: their state, position and blocks left. A finished stream's slot is
    // taken by the next running one.
    uint32_t *state[8];
    const uint8_t *at[8];
    size_t left[8];
    int running = 0;
    for (int i = 0; i < count && i < 8; i++) {
        if (blocks[i] == 0) continue;
        state[running] = states[i]; at[running] = data[i]; left[running] = blocks[i]; running++;
    }
    while (running > 1) {
        size_t step = left[0];
        for (int l = 1; l < running; l++) if (left[l] < step) step = left[l];
        in_vector_lanes(state, at, running, step);
        int kept = 0;
        for (int l = 0; l < running; l++) {
            if (left[l] > step) {
                state[kept] = state[l]; at[kept] = at[l] + 64 * step; left[kept] = left[l] - step; kept++;
            }
        }
        running = kept;
    }
    if (running == 1) floe_md5_blocks(state[0], at[0], left[0]);
}
