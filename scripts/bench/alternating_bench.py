#!/usr/bin/env python3
"""Two Floe builds in turns: throughput of one workload at the benchmark's concurrency.

`paired_bench.py` loads both builds at once and compares CPU per request, which is what judges a
change that saves CPU. A change that shortens a request's waits (an fsync overlapped with
hashing, answers flushed together) shows in throughput at the benchmark's own concurrency
instead, one server loaded at a time. Here each build gets its own server (compare_bench's
start_floe); every round loads A then B (B then A in odd rounds) for `--seconds` with
scripts/bench/loadgen.c at `--clients`, and reads each server's CPU from /proc. Prints every
turn and the median of the rounds' B ÷ A ratios, so that drift between rounds cancels out.

    python3 scripts/bench/alternating_bench.py [--method PUT|GET|HEAD] [--size BYTES] [--rounds 6]
        [--seconds 5] [--clients 8] [--objects N] [--writers N] [--writer-size BYTES] BEFORE_BINARY AFTER_BINARY

PUTs rotate over 400 keys (overwrites, as in compare_bench); GET and HEAD read `--objects`
objects of `--size` bytes (100 by default, 4 above 1 MiB; compare_bench reads 1,000 of 4 KiB).
`--writers N` (GET and HEAD) runs N more connections during every turn that PUT 4 KiB objects
(`--writer-size`; above 1 MiB over 8 keys, so the disk does not fill) into another bucket, as
ingest does while queries read, and prints their rate too.
AFTER_BINARY may be `nginx` (GET and HEAD only): the same files served by compare_bench's nginx,
so that Floe ÷ nginx is a median of rounds too. For PUTs of whole MiB either binary may be a floor
of the disk instead, measured in the same turns (run both orders: the first of a pair tends to
gain a few percent): `durable-files` (compare_bench's durable files of `--size`
by `--clients` writers: no network, hashing or index) or `fsync-stream` (one stream of 256 MiB
written and fsync'd, the issue's "fsync'd write", again and again for the turn).
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_bench as cb  # noqa: E402

FLOORS = ("durable-files", "fsync-stream")


def fsync_stream(work: str, seconds: float) -> float:
    """MB/s of compare_bench's fsync'd write (256 MiB in one stream, one fsync), again and again
    for about `seconds`."""
    chunk, path, rates = os.urandom(cb.MIB), os.path.join(work, "stream.bin"), []
    started = time.perf_counter()
    for _ in range(1000):
        rates.append(cb.fsync_write(path, 256, chunk))
        os.unlink(path)
        if time.perf_counter() - started >= seconds:
            break
    return len(rates) / sum(1 / r for r in rates)  # the whole turn's bytes over its write time


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--method", default="PUT", choices=["PUT", "GET", "HEAD"])
    p.add_argument("--size", type=int, default=cb.MIB)
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--seconds", type=int, default=5)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--objects", type=int, help="GET and HEAD: how many objects to read in turn")
    p.add_argument("--writers", type=int, default=0, help="GET and HEAD: connections PUTting into another bucket meanwhile")
    p.add_argument("--writer-size", type=int, default=4096, help="the writers' object size")
    p.add_argument("binaries", nargs=2)
    args = p.parse_args()
    if args.rounds < 1 or not 1 <= args.seconds <= 60 or not 0 < args.size <= 256 * cb.MIB:
        sys.exit("rounds ≥ 1; seconds 1–60; size up to 256 MiB")
    objects = args.objects if args.objects is not None else (100 if args.size <= cb.MIB else 4)
    if not 1 <= objects <= 10_000 or objects * args.size > 4 << 30:
        sys.exit("objects 1–10,000, 4 GiB in all at most")
    if not 0 <= args.writers <= 16 or (args.writers and (args.method == "PUT" or "nginx" in args.binaries)):
        sys.exit("writers 0–16, for GET and HEAD on Floe only")
    if not 0 < args.writer_size <= 256 * cb.MIB:
        sys.exit("writer size up to 256 MiB")
    work = tempfile.mkdtemp(prefix="alternating-")
    servers, files = [], []
    try:
        subprocess.run(["gcc", "-O2", "-pthread", "-o", f"{work}/loadgen", cb.LOADGEN_SOURCE], check=True)
        body = b"x" * args.size
        if args.binaries[0] == "nginx" or (args.binaries[1] == "nginx" and args.method == "PUT"):
            sys.exit("nginx only as AFTER_BINARY, for GET and HEAD")
        floors = [b for b in args.binaries if b in FLOORS]
        if len(floors) > 1 or (floors and (args.method != "PUT" or args.size % cb.MIB)):
            sys.exit("one floor, beside a build, for PUTs of whole MiB")
        if args.binaries[1] == "nginx":
            cb.ensure_nginx()  # a fresh machine has none
        for index, binary in enumerate(args.binaries):
            root = os.path.join(work, f"s{index}")
            os.makedirs(root)
            if binary in FLOORS:
                servers.append(None)
                files.append(None)
                continue
            if args.method == "PUT":
                keys = [f"/bench/put/{k:05d}" for k in range(400)]
            else:
                keys = [f"/bench/o{k:05d}" for k in range(objects)]
            if binary == "nginx":
                os.makedirs(os.path.join(root, "www", "bench"))
                for key in keys:
                    with open(os.path.join(root, "www") + key, "wb") as f:
                        f.write(body)
                server = cb.start_nginx(root)
                servers.append(server)
            else:
                server = cb.start_floe(root, binary, describe_tree=False)
                servers.append(server)
                cb.seed_objects(server, [] if args.method == "PUT" else keys, body)  # PUTs write their own
                if args.writers:
                    cb.seed_objects(server, [], b"", bucket="/ingest")
                    with open(os.path.join(work, f"s{index}.writes"), "w") as f:
                        writes = 2000 if args.writer_size <= cb.MIB else 8
                        f.write("\n".join(server.target("PUT", f"/ingest/w{k:05d}") for k in range(writes)) + "\n")
            files.append(os.path.join(work, f"s{index}.paths"))
            with open(files[-1], "w") as f:
                f.write("\n".join(server.target(args.method, key) for key in keys) + "\n")
        hz = os.sysconf("SC_CLK_TCK")
        rates = {0: [], 1: []}
        ratios = []
        unit, scale = ("MB/s", args.size / 1e6) if args.size >= cb.MIB else ("ops/s", 1)
        for round_ in range(args.rounds):
            for i in [0, 1] if round_ % 2 == 0 else [1, 0]:
                server = servers[i]
                if server is None:  # a floor of the disk
                    floor_dir = os.path.join(work, f"s{i}")
                    if args.binaries[i] == "durable-files":
                        rate = cb.durable_files_floor(floor_dir, args.seconds, args.clients, mib=args.size // cb.MIB)
                    else:
                        rate = fsync_stream(floor_dir, args.seconds)
                    rates[i].append(rate)
                    print(f"round {round_} {'AB'[i]}: {rate:9.1f} {unit}  ({args.binaries[i]})", flush=True)
                    continue
                before = cb.server_ticks(server)
                cmd = [f"{work}/loadgen", "-p", str(server.port), "-m", args.method, "-f", files[i], "-c", str(args.clients),
                       "-d", str(args.seconds), "-n", "10000000"] + (["-b", str(args.size)] if args.method == "PUT" else [])
                writers = None
                if args.writers:
                    writers = subprocess.Popen(
                        [f"{work}/loadgen", "-p", str(server.port), "-m", "PUT", "-b", str(args.writer_size), "-f", os.path.join(work, f"s{i}.writes"),
                         "-c", str(args.writers), "-d", str(args.seconds), "-n", "10000000"], stdout=subprocess.PIPE, text=True)
                run = subprocess.run(cmd, capture_output=True, text=True, timeout=args.seconds + 300)
                written = ""
                if writers:
                    wrote = json.loads(writers.communicate(timeout=args.seconds + 300)[0])
                    if wrote["errors"]:
                        sys.exit(f"{args.binaries[i]} writers: {wrote}")
                    written = f"  meanwhile {wrote['ops_per_s']:.1f} PUT/s"
                out = json.loads(run.stdout)
                if out["errors"] or not out["requests"]:
                    sys.exit(f"{args.binaries[i]}: {out}")
                # With writers the server's CPU is theirs too: not shown per read. nginx's is its
                # workers' (server_ticks counts a server's children).
                cpu = "" if args.writers else \
                    f"{(cb.server_ticks(server) - before) / hz * 1e6 / out['requests']:8.1f} µs CPU per request  "
                rates[i].append(out["ops_per_s"] * scale)
                print(f"round {round_} {'AB'[i]}: {rates[i][-1]:9.1f} {unit}  {cpu}p50 {out['p50_ms']} ms{written}", flush=True)
            ratios.append(rates[1][-1] / rates[0][-1])
        print(f"\n{args.method} {args.size} bytes, {args.rounds} rounds of {args.seconds} s, {args.clients} clients"
              + (f", {args.writers} writing {args.writer_size}-byte objects into another bucket meanwhile" if args.writers else ""))
        print(f"A {statistics.median(rates[0]):.1f} {unit}; B {statistics.median(rates[1]):.1f} {unit}; "
              f"B ÷ A (median of rounds) {statistics.median(ratios):.3f}")
    finally:
        for server in servers:
            if server is not None:
                server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
