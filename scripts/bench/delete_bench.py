#!/usr/bin/env python3
"""How long a DELETE, and an overwrite by a small body, of a large object takes, two or more Floe
builds in turns.

Each round starts every build's server in turn (compare_bench's start_floe), PUTs `--count`
objects of `--size` bytes and times each one's DELETE; then PUTs one more `--count` times over
one key and times a 5-byte PUT over it. A server is stopped before the next one starts, so the
builds never share the disk. Prints each build's milliseconds and their medians. Bounded by
`--rounds` × `--count` requests per build.

    python3 scripts/bench/delete_bench.py [--size 268435456] [--count 3] [--rounds 2] BINARY...
"""
import argparse, os, shutil, statistics, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_bench as cb  # noqa: E402


def timed(server, method: str, key: str, body: bytes | None = None) -> float:
    started = time.perf_counter()
    status, text = cb.http_call(server, method, server.target(method, key), body)
    if status >= 300:
        sys.exit(f"{server.version}: {method} {key}: HTTP {status} {text[:200]!r}")
    return (time.perf_counter() - started) * 1000


def one_round(binary: str, args, work: str) -> tuple[list[float], list[float]]:
    root = tempfile.mkdtemp(prefix="delete-", dir=work)
    server = cb.start_floe(root, binary, describe_tree=False)
    try:
        body = cb.body_of(args.size)
        keys = [f"/bench/d{n}" for n in range(args.count)]
        cb.seed_objects(server, keys, body)
        deletes = [timed(server, "DELETE", key) for key in keys]
        overwrites = []
        for _ in range(args.count):
            timed(server, "PUT", "/bench/over", body)
            overwrites.append(timed(server, "PUT", "/bench/over", b"small"))
        return deletes, overwrites
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=256 * cb.MIB)
    p.add_argument("--count", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("binaries", nargs="+")
    args = p.parse_args()
    if not 0 < args.size <= 1024 * cb.MIB or not 1 <= args.count <= 20 or not 1 <= args.rounds <= 10:
        sys.exit("size 1 B–1 GiB, count 1–20, rounds 1–10")
    work = tempfile.mkdtemp(prefix="delete-bench-")
    results = {b: ([], []) for b in args.binaries}
    try:
        for n in range(args.rounds):
            order = args.binaries if n % 2 == 0 else list(reversed(args.binaries))
            for binary in order:
                deletes, overwrites = one_round(binary, args, work)
                results[binary][0].extend(deletes)
                results[binary][1].extend(overwrites)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"objects of {args.size:,} bytes, {args.count} per round, {args.rounds} rounds (builds alternating)")
    for binary, (deletes, overwrites) in results.items():
        print(f"{binary}\n  DELETE ms: {', '.join(f'{t:.1f}' for t in deletes)} (median {statistics.median(deletes):.1f})"
              f"\n  5-byte overwrite ms: {', '.join(f'{t:.1f}' for t in overwrites)} (median {statistics.median(overwrites):.1f})")


if __name__ == "__main__":
    main()
