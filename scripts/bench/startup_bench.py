#!/usr/bin/env python3
"""Startup time against the number of stored objects, for two binaries in one run.

Fills one data directory with N small objects (written by --fill-with, the older binary, so both
can open it), copies it once per binary, and times `floe server` from exec until
/floe/health/ready answers, several times each (every start works on a fresh copy). What it
shows: whether a restart costs time per stored object (a startup sweep that asks the index about
every blob) or only per temporary file.

    scripts/bench/startup_bench.py --objects 20000 --runs 3 BEFORE_BINARY AFTER_BINARY
"""
import argparse
import concurrent.futures
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from s3_bench import SECRET, USER, free_port, request, start_server, stop_server  # noqa: E402


def fill(binary: str, objects: int, deadline: float) -> str:
    """A data directory holding `objects` 1 KiB objects in bucket `bench`; answers its path."""
    server, port, data = start_server(binary)
    body = b"x" * 1024

    def put_range(start: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for i in range(start, min(start + 500, objects)):
            if time.time() > deadline:
                raise RuntimeError("filling took too long")
            request(conn, port, "PUT", f"/bench/obj-{i:07d}", iter([body]), len(body))
        conn.close()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(put_range, range(0, objects, 500)))
    kept = tempfile.mkdtemp(prefix="floe-startup-fill-")
    server.terminate()
    server.wait(timeout=60)
    shutil.copytree(data + "/d", kept + "/d")
    shutil.rmtree(data, ignore_errors=True)
    return kept + "/d"


def time_start(binary: str, source: str) -> float:
    """Seconds from exec to ready on a fresh copy of `source`."""
    work = tempfile.mkdtemp(prefix="floe-startup-run-")
    shutil.copytree(source, work + "/d")
    port = free_port()
    env = dict(os.environ, FLOE_ROOT_USER=USER, FLOE_ROOT_PASSWORD=SECRET, FLOE_LOG_LEVEL="warning")
    started = time.perf_counter()
    server = subprocess.Popen([binary, "server", "--data", work + "/d", "--no-console", "--s3-address", f"127.0.0.1:{port}",
                               "--catalog-address", f"127.0.0.1:{free_port()}", "--no-bootstrap"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(6000):  # at most 600 s
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request("GET", "/floe/health/ready")
                if conn.getresponse().status == 200:
                    return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server never became ready")
    finally:
        stop_server(server, work)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--objects", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    source = fill(args.before, args.objects, time.time() + 900)
    try:
        print(f"startup to ready with {args.objects} objects stored ({args.runs} runs each, seconds)")
        for name, binary in (("before", args.before), ("after", args.after)):
            times = [time_start(binary, source) for _ in range(args.runs)]
            print(f"  {name:6} {binary}: min {min(times):.2f}  median {statistics.median(times):.2f}  max {max(times):.2f}")
    finally:
        shutil.rmtree(os.path.dirname(source), ignore_errors=True)


if __name__ == "__main__":
    main()
