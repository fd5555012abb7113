#!/usr/bin/env python3
"""loadTable and commit throughput of Floe's Iceberg REST catalog, on SQLite or PostgreSQL.

8 worker processes, each with its own bearer token and one keep-alive connection (http.client: the
eight clients share the two cores with the server and the database, so the client is kept light):
  1. loadTable of the worker's own table, N times;
  2. commits to the worker's own table (set-properties), N times;
  3. commits to one shared hot table, retried on 409 as engines do.
Reports ops/s, p50/p99, conflicts seen, and lost commits (properties missing afterwards; must be 0);
then loadTable from the C load generator (loadgen.c, 8 connections, 5 s), the server without Python.
Bounded: every loop has a count and the whole run a time limit.

    python3 scripts/bench/catalog_bench.py [--binary .build/release/floe] [--postgres URL] [--ops 200]
"""
import argparse
import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(__file__))
from s3_bench import SECRET, USER, free_port, stop_server  # noqa: E402

SCHEMA = {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "x", "required": False, "type": "long"}]}


def session(base):
    s = requests.Session()
    token = s.post(f"{base}/v1/oauth/tokens", data={"grant_type": "client_credentials", "client_id": USER, "client_secret": SECRET}).json()["access_token"]
    s.headers["Authorization"] = f"Bearer {token}"
    return s


class Connection:
    """One keep-alive connection with a bearer token; (status, body bytes) per request."""

    def __init__(self, base, authorization):
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)
        self.headers = {"Authorization": authorization, "Content-Type": "application/json"}

    def request(self, method, path, body=None):
        self.connection.request(method, path, body=body, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()


def percentile(values, p):
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p))] * 1000, 2) if values else 0


def load_with_c_client(base, port, authorization, seconds):
    """loadTable from loadgen.c (8 keep-alive connections): the server's rate without Python's."""
    with tempfile.TemporaryDirectory() as work:
        binary = os.path.join(work, "loadgen")
        subprocess.run(["cc", "-O2", "-pthread", "-o", binary, os.path.join(os.path.dirname(__file__), "loadgen.c")], check=True)
        targets = os.path.join(work, "targets")
        with open(targets, "w") as f:
            f.write("/v1/lakehouse/namespaces/bench/tables/t0\n")
        run = subprocess.run([binary, "-p", str(port), "-m", "GET", "-f", targets, "-c", "8", "-d", str(seconds), "-n", "1000000",
                              "-H", f"Authorization: {authorization}"], capture_output=True, text=True, timeout=seconds + 60, check=True)
        return json.loads(run.stdout)


def worker(args):
    base, worker_id, ops, deadline = args
    c = Connection(base, session(base).headers["Authorization"])
    table = f"/v1/lakehouse/namespaces/bench/tables/t{worker_id}"
    hot = "/v1/lakehouse/namespaces/bench/tables/hot"
    result = {"load": [], "commit": [], "hot": [], "conflicts": 0}
    for _ in range(ops):
        if time.time() > deadline:
            break
        started = time.monotonic()
        assert c.request("GET", table)[0] == 200
        result["load"].append(time.monotonic() - started)
    for i in range(ops):
        if time.time() > deadline:
            break
        started = time.monotonic()
        status, body = c.request("POST", table, json.dumps({"requirements": [], "updates": [{"action": "set-properties", "updates": {f"k{i}": "v"}}]}))
        assert status == 200, body
        result["commit"].append(time.monotonic() - started)
    for i in range(ops // 4):
        if time.time() > deadline:
            break
        started = time.monotonic()
        for _attempt in range(100):
            status, body = c.request("GET", hot)
            assert status == 200, body
            current = json.loads(body)["metadata"]
            update = {"requirements": [{"type": "assert-current-schema-id", "current-schema-id": current["current-schema-id"]}],
                      "updates": [{"action": "set-properties", "updates": {f"w{worker_id}-{i}": "1"}}]}
            status, body = c.request("POST", hot, json.dumps(update))
            if status == 200:
                break
            assert status == 409, body
            result["conflicts"] += 1
        result["hot"].append(time.monotonic() - started)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build-release/release/floe")
    parser.add_argument("--postgres", help="catalog database URL; default: embedded SQLite")
    parser.add_argument("--ops", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8, help="client processes (each with its own table)")
    args = parser.parse_args()
    import shutil, signal, subprocess, tempfile
    data = tempfile.mkdtemp(prefix="floe-catalog-bench-")
    s3_port, catalog_port = free_port(), free_port()
    env = dict(os.environ, FLOE_ROOT_USER=USER, FLOE_ROOT_PASSWORD=SECRET, FLOE_LOG_LEVEL="warning")
    if args.postgres:
        env["FLOE_CATALOG_DB"] = args.postgres
    server = subprocess.Popen([args.binary, "server", "--data", data + "/d", "--no-console", "--s3-address", f"127.0.0.1:{s3_port}",
                               "--catalog-address", f"127.0.0.1:{catalog_port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{catalog_port}"
    try:
        for _ in range(300):
            try:
                requests.get(f"{base}/floe/health/ready", timeout=0.5)
                break
            except requests.RequestException:
                time.sleep(0.1)
        s = session(base)
        s.post(f"{base}/v1/lakehouse/namespaces", data=json.dumps({"namespace": ["bench"]}))
        for name in [f"t{i}" for i in range(args.clients)] + ["hot"]:
            r = s.post(f"{base}/v1/lakehouse/namespaces/bench/tables", data=json.dumps({"name": name, "schema": SCHEMA}))
            assert r.status_code == 200, r.text
        deadline = time.time() + 300
        started = time.monotonic()
        with multiprocessing.Pool(args.clients) as pool:
            results = pool.map(worker, [(base, w, args.ops, deadline) for w in range(args.clients)])
        elapsed = time.monotonic() - started
        hot_properties = s.get(f"{base}/v1/lakehouse/namespaces/bench/tables/hot").json()["metadata"]["properties"]
        expected = {f"w{w}-{i}" for w in range(args.clients) for i in range(len(results[w]["hot"]))}
        lost = len(expected - set(hot_properties))
        report = {"store": "postgres" if args.postgres else "sqlite", "clients": args.clients, "seconds": round(elapsed, 1)}
        for kind in ["load", "commit", "hot"]:
            values = [v for r in results for v in r[kind]]
            report[kind] = {"ops": len(values), "ops_per_s": round(len(values) / max(sum(values) / args.clients, 1e-9), 1),
                            "p50_ms": percentile(values, 0.5), "p99_ms": percentile(values, 0.99)}
        report["hot_conflicts_retried"] = sum(r["conflicts"] for r in results)
        report["lost_commits"] = lost
        report["load_c"] = load_with_c_client(base, catalog_port, s.headers["Authorization"], seconds=5)
        print(json.dumps(report, indent=1))
    finally:
        stop_server(server, data)


if __name__ == "__main__":
    main()
