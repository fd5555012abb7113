#!/usr/bin/env python3
"""PUT/GET throughput and latency of a Floe server, plus its peak memory.

Starts `floe server` (release build by default) on a loopback port with a fresh data
directory, then runs each scenario with N worker processes, each holding one keep-alive
connection and signing requests with SigV4 (UNSIGNED-PAYLOAD, so client-side hashing
does not dominate). Every loop is bounded by a request count and a time limit.

    python3 scripts/bench/s3_bench.py [--binary .build-release/release/floe] [--quick]
"""
import argparse
import datetime
import hashlib
import hmac
import http.client
import json
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

USER, SECRET, REGION = "benchroot", "bench-secret-12345", "us-east-1"


def sign(method: str, host: str, path: str, query: str = "") -> dict:
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{amz_date[:8]}/{REGION}/s3/aws4_request"
    headers = {"host": host, "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-date": amz_date}
    names = sorted(headers)
    canonical = "\n".join([method, urllib.parse.quote(path, safe="/~"), canonical_query(query), "".join(f"{n}:{headers[n]}\n" for n in names),
                           ";".join(names), "UNSIGNED-PAYLOAD"])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + SECRET).encode()
    for part in (amz_date[:8], REGION, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={USER}/{scope}, SignedHeaders={';'.join(names)}, Signature={signature}"
    del headers["host"]
    return headers


def canonical_query(query: str) -> str:
    pairs = [p.split("=", 1) + [""] for p in query.split("&") if p]
    encoded = sorted((urllib.parse.quote(urllib.parse.unquote(k), safe="-_.~"), urllib.parse.quote(urllib.parse.unquote(v), safe="-_.~")) for k, v, *_ in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def request(conn, port, method, path, body=None, length=0, query="", collect=False):
    headers = sign(method, f"127.0.0.1:{port}", path, query)
    if method in ("PUT", "POST"):
        headers["Content-Length"] = str(length)
    target = urllib.parse.quote(path, safe="/~") + (f"?{query}" if query else "")
    conn.putrequest(method, target, skip_host=False, skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    conn.endheaders()
    if body is not None:
        for chunk in body:
            conn.send(chunk)
    response = conn.getresponse()
    received = 0
    kept = b""
    while True:
        data = response.read(1 << 20)
        if not data:
            break
        received += len(data)
        if collect:
            kept += data
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: HTTP {response.status} {kept[:300]!r}")
    return (kept, response.getheader("ETag")) if collect else received


def worker(args):
    port, op, size, worker_id, count, seconds = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    block = os.urandom(min(size, 1 << 20)) if size else b""
    latencies = []
    transferred = 0
    deadline = time.monotonic() + seconds
    for i in range(count):
        if time.monotonic() > deadline:
            break
        key = f"/bench/{size}/w{worker_id}/o{i % max(1, count)}"
        started = time.monotonic()
        if op == "PUT":
            chunks = (block[: min(len(block), size - off)] for off in range(0, size, len(block))) if size else iter([])
            request(conn, port, "PUT", key, chunks, size)
            transferred += size
        else:
            transferred += request(conn, port, "GET", key)
        latencies.append(time.monotonic() - started)
    conn.close()
    return latencies, transferred


def peak_rss_kib(pid: int) -> tuple[int, int]:
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            name, _, value = line.partition(":")
            fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def reset_peak(pid: int):
    # Writing 5 to clear_refs resets VmHWM (Linux >= 4.0), so each scenario gets its own peak.
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scenario(pool, port, pid, op, size, concurrency, count, seconds):
    reset_peak(pid)
    per_worker = max(1, count // concurrency)
    started = time.monotonic()
    results = pool.map(worker, [(port, op, size, w, per_worker, seconds) for w in range(concurrency)])
    elapsed = time.monotonic() - started
    latencies = sorted(l for r in results for l in r[0])
    transferred = sum(r[1] for r in results)
    _, peak = peak_rss_kib(pid)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else 0
    return {
        "op": op, "size": size, "concurrency": concurrency, "requests": len(latencies), "seconds": round(elapsed, 2),
        "ops_per_s": round(len(latencies) / elapsed, 1), "mib_per_s": round(transferred / elapsed / 2**20, 1),
        "p50_ms": round(latencies[len(latencies) // 2] * 1000, 2) if latencies else 0, "p99_ms": round(p99 * 1000, 2),
        "peak_rss_mib": round(peak / 1024, 1),
    }


def big_put_rss(port, pid, size):
    """Streams one `size`-byte PUT and reports how much the server's resident memory grew."""
    rss_before, _ = peak_rss_kib(pid)
    reset_peak(pid)
    block = os.urandom(1 << 20)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.monotonic()
    request(conn, port, "PUT", "/bench/huge", (block for _ in range(size // len(block))), size)
    elapsed = time.monotonic() - started
    _, peak = peak_rss_kib(pid)
    return {"size_gib": size / 2**30, "seconds": round(elapsed, 2), "mib_per_s": round(size / elapsed / 2**20, 1),
            "rss_before_mib": round(rss_before / 1024, 1), "peak_rss_mib": round(peak / 1024, 1),
            "growth_mib": round((peak - rss_before) / 1024, 1)}


def start_server(binary: str):
    """A fresh server on a free loopback port; returns (process, port, data directory)."""
    data = tempfile.mkdtemp(prefix="floe-bench-")
    port = free_port()
    env = dict(os.environ, FLOE_ROOT_USER=USER, FLOE_ROOT_PASSWORD=SECRET, FLOE_LOG_LEVEL="warning")
    server = subprocess.Popen([binary, "server", "--data", data + "/d", "--no-console", "--s3-address", f"127.0.0.1:{port}",
                               "--catalog-address", f"127.0.0.1:{free_port()}", "--no-bootstrap"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    conn = http.client.HTTPConnection("127.0.0.1", port)
    request(conn, port, "PUT", "/bench", iter([]), 0)
    conn.close()
    return server, port, data


def stop_server(server, data):
    """SIGTERM (in-flight requests finish), then the data directory goes."""
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    shutil.rmtree(data, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build-release/release/floe")
    parser.add_argument("--quick", action="store_true", help="small counts, for checking the script itself")
    parser.add_argument("--json", help="write results here as JSON")
    args = parser.parse_args()

    server, port, data = start_server(args.binary)
    try:
        small, large = (200, 4) if args.quick else (4000, 32)
        plan = [
            ("PUT", 4096, 1, small), ("GET", 4096, 1, small),
            ("PUT", 4096, 16, small * 2), ("GET", 4096, 16, small * 2),
            ("PUT", 64 << 20, 1, large // 2), ("GET", 64 << 20, 1, large // 2),
            ("PUT", 64 << 20, 16, large), ("GET", 64 << 20, 16, large),
        ]
        results = []
        with multiprocessing.Pool(16) as pool:
            for op, size, concurrency, count in plan:
                result = scenario(pool, port, server.pid, op, size, concurrency, count, seconds=60)
                results.append(result)
                print(json.dumps(result), flush=True)
        huge = big_put_rss(port, server.pid, (256 << 20) if args.quick else (2 << 30))
        print(json.dumps({"big_put": huge}), flush=True)
        machine = {"cpus": os.cpu_count(), "machine": platform.machine(), "kernel": platform.release(),
                   "cpu_model": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")}
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"machine": machine, "results": results, "big_put": huge}, f, indent=2)
    finally:
        stop_server(server, data)


if __name__ == "__main__":
    main()
