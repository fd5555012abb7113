#!/usr/bin/env python3
"""Two Floe builds in turns: large GETs of objects not in the page cache, and HEADs or PUTs beside them.

A GET whose blob pages are not cached has to wait for the disk. Where it waits matters: in
`sendfile` on the event loop, every other connection on that loop waits too; on the thread pool,
only the GET does. This loads each build in turn (as `alternating_bench.py` does) with
`--readers` connections GETting `--objects` objects of `--size` bytes, each object once, while
`--heads` connections HEAD 1,000 small objects (or, with `--beside PUT`, PUT over them: uploads
share the blob thread pool with the cold reads). Before each turn the script drops the blob files'
pages from the page cache (`posix_fadvise(DONTNEED)`, which needs no privilege), so every GET
finds its object cold; size the objects so that a turn ends before they are all read (the script
says when it did not). `--evict-ms` drops them again every so many milliseconds during the turn,
a harsher memory pressure than a kernel's, which keeps recently read pages. Prints each turn
(GET MB/s; HEAD ops/s, p50 and p99) and the medians of the rounds' B ÷ A ratios.

    python3 scripts/bench/cold_read_bench.py [--size BYTES] [--objects 24] [--readers 4] [--heads 4]
        [--beside HEAD|PUT] [--put-size BYTES] [--rounds 6] [--seconds 5] [--evict-ms 0] [--cgroup DIR]
        BEFORE_BINARY AFTER_BINARY

A virtual disk whose reads come from the host's memory hides what a slow disk costs. To see it,
put the work directory (TMPDIR) on a file system of its own and throttle its reads with a cgroup
v1 blkio group that the servers join (`--cgroup`, which writes their pids to its cgroup.procs),
as docs/benchmarks.md shows (a loop device and 40 MB/s: an SD card's pace).
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_bench as cb  # noqa: E402


def evict(blobs: str) -> int:
    """Drops the cached pages of every file under `blobs`; returns how many files it saw."""
    count = 0
    for directory, _, names in os.walk(blobs):
        for name in names:
            try:
                fd = os.open(os.path.join(directory, name), os.O_RDONLY)
            except OSError:
                continue  # replaced or removed meanwhile
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                count += 1
            finally:
                os.close(fd)
    return count


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--size", type=int, default=16 * cb.MIB)
    p.add_argument("--objects", type=int, default=24)
    p.add_argument("--readers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4, help="connections of the requests beside the GETs")
    p.add_argument("--beside", default="HEAD", choices=["HEAD", "PUT"],
                   help="what those connections send: HEADs of 4 KiB objects, or PUTs of --put-size bytes over them (past the inline limit: blob files, written on the same thread pool as the cold reads)")
    p.add_argument("--put-size", type=int, default=256 * 1024)
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--evict-ms", type=int, default=0, help="drop the pages again this often during a turn; 0: only before it")
    p.add_argument("--cgroup", help="a cgroup directory for the servers, e.g. a blkio group with a read throttle")
    p.add_argument("binaries", nargs=2)
    args = p.parse_args()
    if args.rounds < 1 or not 1 <= args.seconds <= 60 or not 0 < args.size <= 256 * cb.MIB:
        sys.exit("rounds ≥ 1; seconds 1–60; size up to 256 MiB")
    if not 1 <= args.objects <= 1000 or args.objects * args.size > 8 << 30:
        sys.exit("objects 1–1,000, 8 GiB in all at most")
    if not 1 <= args.readers <= 16 or not 1 <= args.heads <= 16 or not (args.evict_ms == 0 or 10 <= args.evict_ms <= 10_000):
        sys.exit("readers and heads 1–16; evict-ms 0 or 10–10,000")
    if not 1 <= args.put_size <= 16 * cb.MIB:
        sys.exit("put-size 1 byte to 16 MiB")
    work = tempfile.mkdtemp(prefix="cold-read-")
    servers = []
    try:
        subprocess.run(["gcc", "-O2", "-pthread", "-o", f"{work}/loadgen", cb.LOADGEN_SOURCE], check=True)
        large = [f"/bench/large{k:04d}" for k in range(args.objects)]
        small = [f"/bench/small{k:04d}" for k in range(1000)]
        for index, binary in enumerate(args.binaries):
            root = os.path.join(work, f"s{index}")
            os.makedirs(root)
            server = cb.start_floe(root, binary, describe_tree=False)
            servers.append(server)
            if args.cgroup:
                with open(os.path.join(args.cgroup, "cgroup.procs"), "w") as f:
                    f.write(str(server.proc.pid))
            cb.seed_objects(server, large, os.urandom(args.size))
            for key in small:
                status, text = cb.http_call(server, "PUT", server.target("PUT", key), b"s" * 4096)
                if status != 200:
                    sys.exit(f"seeding {key}: HTTP {status} {text[:200]!r}")
            for name, keys, method in (("gets", large, "GET"), ("heads", small, args.beside)):
                with open(os.path.join(work, f"s{index}.{name}"), "w") as f:
                    f.write("\n".join(server.target(method, key) for key in keys) + "\n")
        results = {0: [], 1: []}
        for round_ in range(args.rounds):
            for i in [0, 1] if round_ % 2 == 0 else [1, 0]:
                server = servers[i]
                blobs = os.path.join(work, f"s{i}", "data", "blobs")
                if evict(blobs) < args.objects:
                    sys.exit(f"fewer than {args.objects} blob files under {blobs}")
                stop = threading.Event()

                def evicting():
                    while args.evict_ms and not stop.wait(args.evict_ms / 1000):
                        evict(blobs)

                evictor = threading.Thread(target=evicting, daemon=True)
                evictor.start()
                loadgen = lambda name, method, clients, budget, body=[]: subprocess.Popen(  # noqa: E731
                    [f"{work}/loadgen", "-p", str(server.port), "-m", method, "-f", os.path.join(work, f"s{i}.{name}"),
                     "-c", str(clients), "-d", str(args.seconds), "-n", str(budget)] + body, stdout=subprocess.PIPE, text=True)
                before = cb.server_ticks(server)
                gets = loadgen("gets", "GET", args.readers, args.objects if not args.evict_ms else 10_000_000)
                heads = loadgen("heads", args.beside, args.heads, 10_000_000, ["-b", str(args.put_size)] if args.beside == "PUT" else [])
                try:
                    got = json.loads(gets.communicate(timeout=args.seconds + 300)[0])
                    headed = json.loads(heads.communicate(timeout=args.seconds + 300)[0])
                finally:
                    stop.set()
                    evictor.join(timeout=60)
                cpu = (cb.server_ticks(server) - before) / os.sysconf("SC_CLK_TCK")
                for out in (got, headed):
                    if out["errors"] or not out["requests"]:
                        sys.exit(f"{args.binaries[i]}: {out}")
                turn = {"get": got["ops_per_s"] * args.size / 1e6, "head": headed["ops_per_s"], "p50": headed["p50_ms"], "p99": headed["p99_ms"],
                        "get_p99": got["p99_ms"], "cpu": cpu}
                if got["seconds"] < 0.9 * args.seconds:
                    print(f"  (the GETs read every object in {got['seconds']:.1f} s: the HEADs ran alone after that; more or larger objects)")
                results[i].append(turn)
                print(f"round {round_} {'AB'[i]}: GET {turn['get']:7.1f} MB/s (p99 {turn['get_p99']:.1f} ms)   "
                      f"{args.beside} {turn['head']:8.1f} ops/s  p50 {turn['p50']:.3f} ms  p99 {turn['p99']:.3f} ms  server CPU {cpu:.2f} s", flush=True)
        dropped = f"every {args.evict_ms} ms" if args.evict_ms else "before each turn"
        beside = "HEADing 1,000 small objects" if args.beside == "HEAD" else f"PUTting {args.put_size} bytes over 1,000 objects"
        print(f"\nGET {args.size} bytes ({args.objects} objects, {args.readers} connections, pages dropped {dropped}) "
              f"with {args.heads} connections {beside}; {args.rounds} rounds of {args.seconds} s")
        b = args.beside
        for field, label in (("get", "GET MB/s"), ("head", f"{b} ops/s"), ("p50", f"{b} p50 ms"), ("p99", f"{b} p99 ms"), ("get_p99", "GET p99 ms")):
            a = statistics.median(r[field] for r in results[0])
            b = statistics.median(r[field] for r in results[1])
            ratio = statistics.median(rb[field] / ra[field] for ra, rb in zip(results[0], results[1]) if ra[field])
            print(f"{label:12s} A {a:9.3f}  B {b:9.3f}  B ÷ A (median of rounds) {ratio:.3f}")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
