#!/usr/bin/env python3
"""Whole-file transfers with the `floe` CLI, next to aws-cli on the same files: upload and
download throughput and the client's peak memory.

Starts `floe server` (release build) on a loopback port with a fresh data directory, writes test
files of the given sizes, then times `floe cp` and `aws s3 cp` each way, each run bounded by a
time limit. Peak RSS is sampled from /proc while the client runs.

    python3 scripts/bench/cli_bench.py [--binary .build/release/floe] [--sizes 64,1024] [--aws .venv/bin/aws]
"""
import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3_bench import SECRET, USER, start_server, stop_server  # noqa: E402


def timed(command, env, limit):
    """Runs a command; answers (seconds, peak RSS MiB of the process)."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            with open(f"/proc/{process.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        if time.monotonic() - started > limit:
            process.kill()
            raise SystemExit(f"{' '.join(command)} took longer than {limit} s")
        time.sleep(0.02)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()}")
    return time.monotonic() - started, peak / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/floe")
    parser.add_argument("--aws", default=shutil.which("aws") or ".venv/bin/aws")
    parser.add_argument("--sizes", default="64,1024", help="file sizes in MiB")
    parser.add_argument("--limit", type=float, default=300, help="seconds one transfer may take")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="floe-cli-bench-")
    server, port, data = start_server(args.binary)  # with bucket `bench`
    try:
        client = dict(os.environ, FLOE_CONFIG_DIR=f"{work}/config", FLOE_ALIAS_B=f"http://127.0.0.1:{port},{USER},{SECRET}",
                      AWS_ACCESS_KEY_ID=USER, AWS_SECRET_ACCESS_KEY=SECRET, AWS_DEFAULT_REGION="us-east-1",
                      AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        print(f"Machine: {os.cpu_count()} CPU, {platform.platform()}; server and client on the same machine.")
        print("| client | size | direction | seconds | MiB/s | client peak RSS MiB |")
        print("|---|---|---|---|---|---|")
        for size in [int(s) for s in args.sizes.split(",")]:
            source = f"{work}/file-{size}.bin"
            with open(source, "wb") as f:
                chunk = os.urandom(1 << 20)
                for _ in range(size):
                    f.write(chunk)
            runs = [
                ("floe", "up", [args.binary, "cp", "-q", source, f"b/bench/floe-{size}.bin"]),
                ("floe", "down", [args.binary, "cp", "-q", f"b/bench/floe-{size}.bin", f"{work}/floe-back.bin"]),
                ("aws-cli", "up", [args.aws, "--endpoint-url", f"http://127.0.0.1:{port}", "s3", "cp", "--quiet", source, f"s3://bench/aws-{size}.bin"]),
                ("aws-cli", "down", [args.aws, "--endpoint-url", f"http://127.0.0.1:{port}", "s3", "cp", "--quiet", f"s3://bench/aws-{size}.bin", f"{work}/aws-back.bin"]),
            ]
            for name, direction, command in runs:
                seconds, peak = timed(command, client, args.limit)
                print(f"| {name} | {size} MiB | {direction} | {seconds:.2f} | {size / seconds:.0f} | {peak:.0f} |")
            for copy in ("floe-back.bin", "aws-back.bin"):
                assert os.path.getsize(f"{work}/{copy}") == size << 20
                os.remove(f"{work}/{copy}")
            os.remove(source)
    finally:
        stop_server(server, data)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
