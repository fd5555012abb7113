#!/usr/bin/env python3
"""MD5 speed of Sources/CMD5/md5lanes.c, alone and with up to eight streams in lanes, in MB/s.

Every upload's ETag is its MD5, hashed by these functions (one stream, or concurrent uploads
together in vector lanes). The source is compiled as SwiftPM compiles it (Swift's clang, -O2), a
C driver hashes 8 MiB per stream, and each round times every build once in turn, alternating the
order, so that drift of this shared machine cancels out; the median of the rounds is printed.
`--baseline REV` compiles the same file as it was at a git revision, for a before/after.

    python3 scripts/bench/md5_bench.py [--baseline HEAD~1] [--rounds 5]
"""
import argparse, os, shutil, statistics, subprocess, sys, tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
SOURCE = "Sources/CMD5/md5lanes.c"
STREAMS = (1, 2, 4, 8)
DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "md5lanes.h"
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(void) {
    enum { per = 8 << 20 };
    static uint8_t bytes[8][per];
    for (int i = 0; i < 8; i++) for (size_t j = 0; j < per; j++) bytes[i][j] = (uint8_t)(j * 7 + i * 13 + (j >> 9));
    static const int counts[] = {COUNTS};
    uint32_t states[8][4] = {{0}};
    unsigned kept = 0;
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        const uint8_t *data[8];
        size_t blocks[8];
        for (int i = 0; i < counts[c]; i++) { data[i] = bytes[i]; blocks[i] = per / 64; }
        double started = now();
        if (counts[c] == 1) floe_md5_blocks(states[0], data[0], per / 64);
        else floe_md5_lanes(states, data, blocks, counts[c]);
        printf("%s%.0f", c ? " " : "", counts[c] * (double)per / 1e6 / (now() - started));
        kept += states[0][0];
    }
    printf("\n");
    return kept == 1;  /* keeps the states live */
}
"""


def build(work: str, name: str, source_text: str, clang: str) -> str:
    folder = os.path.join(work, name)
    os.makedirs(folder)
    with open(os.path.join(folder, "md5lanes.c"), "w") as f:
        f.write(source_text)
    with open(os.path.join(folder, "driver.c"), "w") as f:
        f.write(DRIVER.replace("COUNTS", ", ".join(map(str, STREAMS))))
    binary = os.path.join(folder, "md5")
    subprocess.run([clang, "-O2", "-I", os.path.join(ROOT, "Sources/CMD5/include"), "-o", binary,
                    os.path.join(folder, "driver.c"), os.path.join(folder, "md5lanes.c")], check=True)
    return binary


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--baseline", help="a git revision whose md5lanes.c is measured too")
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    if not 1 <= args.rounds <= 50:
        sys.exit("rounds 1–50")
    clang = shutil.which("clang")
    if clang is None:
        sys.exit("clang not found: it comes with the Swift toolchain")
    work = tempfile.mkdtemp(prefix="md5-bench-")
    try:
        builds = {}
        if args.baseline:
            old = subprocess.run(["git", "-C", ROOT, "show", f"{args.baseline}:{SOURCE}"], capture_output=True, text=True, check=True)
            builds["baseline"] = build(work, "baseline", old.stdout, clang)
        with open(os.path.join(ROOT, SOURCE)) as f:
            builds["this tree"] = build(work, "current", f.read(), clang)
        rates = {name: [] for name in builds}
        names = list(builds)
        for round_ in range(args.rounds):
            for name in names if round_ % 2 == 0 else names[::-1]:
                run = subprocess.run([builds[name]], capture_output=True, text=True, timeout=120)
                rates[name].append([float(x) for x in run.stdout.split()])
        print(f"MD5 MB/s (all streams together), median of {args.rounds} rounds; clang -O2")
        print("build       " + "".join((f"{n} stream" + ("s" if n > 1 else "")).rjust(12) for n in STREAMS))
        for name in names:
            medians = [statistics.median(r[i] for r in rates[name]) for i in range(len(STREAMS))]
            print(f"{name:<12}" + "".join(f"{m:12,.0f}" for m in medians))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
