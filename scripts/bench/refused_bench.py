#!/usr/bin/env python3
"""What another client's refused bucket requests cost a reader's listings, two or more Floe builds
in turns.

A reader lists one bucket (ListObjectsV2, one page of `--keys` keys, which the listing cache
holds) `--requests` times, first alone, then while another connection repeats a
refused CreateBucket (BucketAlreadyOwnedByYou; in us-east-1 a 200 that changes nothing) and a refused DeleteBucket of a non-empty bucket
(409 BucketNotEmpty) as fast as they are answered. A refused request changes nothing, so it should
leave the reader's cached listing current. Each build's server is started in turn
(compare_bench's start_floe) and stopped before the next. Prints the reader's p50 / p90 in
milliseconds, alone and beside the refusals, and how many refusals were answered. Bounded by
`--requests` listings per phase and `--seconds` per phase.

    python3 scripts/bench/refused_bench.py [--keys 1000] [--requests 2000] [--seconds 20] [--rounds 2] BINARY...
"""
import argparse, http.client, os, shutil, statistics, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compare_bench as cb  # noqa: E402


def list_latencies(server, requests: int, seconds: float) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    deadline = time.monotonic() + seconds
    latencies = []
    try:
        while len(latencies) < requests and time.monotonic() < deadline:
            started = time.perf_counter()
            status, text = cb.http_call(server, "GET", server.target("GET", "/bench", {"list-type": "2"}), conn=conn)
            if status != 200:
                sys.exit(f"{server.version}: listing: HTTP {status} {text[:200]!r}")
            latencies.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    return latencies


def refuse_until(server, stop: threading.Event, answered: list[int]):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        while not stop.is_set():
            for method, path in (("PUT", "/bench"), ("DELETE", "/other")):
                status, text = cb.http_call(server, method, server.target(method, path), b"" if method == "PUT" else None, conn=conn)
                # us-east-1 answers a CreateBucket of a bucket its caller owns with 200, as AWS does.
                if status != 409 and not (method == "PUT" and status == 200):
                    sys.exit(f"{server.version}: {method} {path}: expected a refusal, got HTTP {status} {text[:200]!r}")
                answered[0] += 1
    finally:
        conn.close()


def percentiles(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    return f"p50 {statistics.median(ordered):.2f} / p90 {ordered[int(len(ordered) * 0.9)]:.2f} ms ({len(ordered)} listings)"


def one_round(binary: str, args, work: str) -> tuple[str, str, int]:
    root = tempfile.mkdtemp(prefix="refused-", dir=work)
    server = cb.start_floe(root, binary, describe_tree=False)
    try:
        cb.seed_objects(server, [f"/bench/k{n:05d}" for n in range(args.keys)], b"x")
        cb.seed_objects(server, ["/other/keep"], b"x", bucket="/other")
        alone = list_latencies(server, args.requests, args.seconds)
        stop, answered = threading.Event(), [0]
        refuser = threading.Thread(target=refuse_until, args=(server, stop, answered), daemon=True)
        refuser.start()
        try:
            beside = list_latencies(server, args.requests, args.seconds)
        finally:
            stop.set()
            refuser.join(timeout=30)
        return percentiles(alone), percentiles(beside), answered[0]
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--keys", type=int, default=1000)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("binaries", nargs="+")
    args = p.parse_args()
    if not 1 <= args.keys <= 1000 or not 10 <= args.requests <= 100_000 or not 1 <= args.seconds <= 60 or not 1 <= args.rounds <= 10:
        sys.exit("keys 1–1,000 (one page), requests 10–100,000, seconds 1–60, rounds 1–10")
    work = tempfile.mkdtemp(prefix="refused-bench-")
    try:
        for n in range(args.rounds):
            for binary in (args.binaries if n % 2 == 0 else list(reversed(args.binaries))):
                alone, beside, refused = one_round(binary, args, work)
                print(f"round {n} {binary}\n  alone:           {alone}\n  beside refusals: {beside}; {refused:,} refusals answered", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
