"""The benchmark scripts' own logic: the figures in docs/benchmarks.md are only as right as the
load generator that counts the requests, the signer that makes Floe's URLs and the arithmetic
that turns turns into a table. Nothing here times anything."""
import http.server
import json
import os
import subprocess
import sys
import threading
import time
from types import SimpleNamespace

import pytest
import requests

from floe_harness import ROOT_PASSWORD, ROOT_USER

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts/bench"))
import compare_bench as cb  # noqa: E402


@pytest.mark.parametrize("count", [2, 3, 4])
def test_turn_order_puts_each_server_first_equally_and_varies_who_follows_whom(count):
    servers = ["floe", "baseline", "nginx", "rclone"][:count]
    orders = [cb.turn_order(servers, turn) for turn in range(2 * count)]
    assert all(sorted(order) == sorted(servers) for order in orders)
    assert all([order[0] for order in orders].count(name) == 2 for name in servers)
    # No server is always followed by the same one; with two or three, every order occurs.
    followers = {name: {order[i + 1] for order in orders for i in range(count - 1) if order[i] == name} for name in servers}
    assert all(len(found) >= min(2, count - 1) for found in followers.values())
    if count <= 3:
        assert len({tuple(order) for order in orders}) == {2: 2, 3: 6}[count]


def turn(requests_, seconds, p50, p99, cpu_seconds=0.0, non2xx=0):
    return {"requests": requests_, "seconds": seconds, "ops_per_s": requests_ / seconds if seconds else 0.0, "p50_ms": p50,
            "p99_ms": p99, "non2xx": non2xx, "overwrites": 0, "cpu_seconds": cpu_seconds}


def test_combined_turns_count_requests_over_the_time_they_took():
    combined = cb.combine_turns("head4k", [turn(3000, 1.0, 0.2, 0.9, 0.03), turn(1000, 1.0, 0.4, 2.5, 0.01),
                                           turn(0, 1.0, 0.3, 0.1)])
    assert combined["ops_per_s"] == pytest.approx(4000 / 3.0)
    assert combined["value"] == combined["ops_per_s"]
    assert combined["p50_ms"] == 0.3 and combined["p99_ms"] == 2.5
    assert combined["empty_turns"] == 1
    assert combined["cpu_us_per_request"] == pytest.approx(0.04 * 1e6 / 4000)
    assert cb.problems(combined) == ["1 turns with none completed"]
    megabytes = cb.combine_turns("put1m", [turn(100, 2.0, 5.0, 9.0)])
    assert megabytes["value"] == pytest.approx(50 * cb.MIB / 1e6)


def test_round_ratios_pair_the_same_rounds_and_skip_a_server_with_an_empty_one():
    args = SimpleNamespace(workloads=["head4k"], baseline=None)
    results = {"floe": {"head4k": {"turns_ops_per_s": [100.0, 300.0, 200.0]}},
               "nginx": {"head4k": {"turns_ops_per_s": [200.0, 400.0, 100.0]}},
               "rclone": {"head4k": {"turns_ops_per_s": [50.0, 0.0, 100.0]}}}
    lines = cb.round_ratios(args, results)
    assert lines == ["", "HEAD 4 KiB, Floe ÷ nginx by round: 0.50, 0.75, 2.00 (median 0.75)"]


def test_small_puts_take_distinct_keys_in_each_turn():
    server = SimpleNamespace(target=lambda method, key: key)
    turns = [cb.workload_paths(server, "put4k", {}, 1000, turn=t, turns=5) for t in range(5)]
    assert all(len(keys) == 200 for keys in turns)
    assert len(set().union(*map(set, turns))) == 1000


def test_a_servers_cpu_counts_its_children_as_nginx_workers_do_the_work():
    # A parent that only waits, and a child that spins for half a second: nginx's master and worker.
    parent = subprocess.Popen([sys.executable, "-c",
                               "import subprocess, sys; subprocess.run([sys.executable, '-c', "
                               "'import time\\nend = time.time() + 0.5\\nwhile time.time() < end: pass\\ntime.sleep(30)'])"])
    try:
        server = SimpleNamespace(proc=parent)
        deadline = time.monotonic() + 20
        while cb.server_ticks(server) - cb.cpu_ticks(parent.pid) < 0.3 * os.sysconf("SC_CLK_TCK"):
            assert time.monotonic() < deadline, "the child's CPU was never counted"
            time.sleep(0.1)
    finally:
        subprocess.run(["pkill", "-P", str(parent.pid)])
        parent.kill()
        parent.wait()


class Answers(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []
    lock = threading.Lock()

    def answer(self, body: bytes):
        with self.lock:
            self.seen.append((self.command, self.path))
        status = 500 if self.path.startswith("/fail") else 200
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        self.answer(b"x" * 4096)

    def do_HEAD(self):
        self.answer(b"x" * 4096)

    def do_PUT(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.answer(b"")

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def loadgen(tmp_path_factory):
    binary = str(tmp_path_factory.mktemp("loadgen") / "loadgen")
    subprocess.run(["cc", "-O2", "-pthread", "-o", binary, cb.LOADGEN_SOURCE], check=True)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield binary, httpd.server_address[1], tmp_path_factory.mktemp("targets")
    httpd.shutdown()


def run_loadgen(loadgen, method: str, targets: list[str], *flags: str) -> dict:
    binary, port, directory = loadgen
    paths = directory / "paths"
    paths.write_text("\n".join(targets) + "\n")
    run = subprocess.run([binary, "-p", str(port), "-m", method, "-f", str(paths), *flags],
                         capture_output=True, text=True, timeout=60, check=True)
    return json.loads(run.stdout)


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT"])
def test_the_load_generator_sends_exactly_its_budget_and_reads_each_answer(loadgen, method):
    Answers.seen.clear()
    flags = ["-c", "3", "-d", "30", "-n", "90"] + (["-b", "4096"] if method == "PUT" else [])
    result = run_loadgen(loadgen, method, ["/a", "/b", "/c"], *flags)
    assert result["requests"] == 90 and result["errors"] == 0
    assert len(Answers.seen) == 90
    assert {path for _, path in Answers.seen} == {"/a", "/b", "/c"} and {m for m, _ in Answers.seen} == {method}
    assert result["bytes_in"] >= (90 * 4096 if method == "GET" else 0)


def test_the_load_generator_counts_failures_and_stops_at_its_deadline(loadgen):
    assert run_loadgen(loadgen, "GET", ["/fail"], "-c", "2", "-d", "30", "-n", "20")["errors"] == 20
    started = time.monotonic()
    result = run_loadgen(loadgen, "HEAD", ["/a"], "-c", "2", "-d", "1", "-n", "100000000")
    assert result["requests"] < 100000000 and time.monotonic() - started < 10


def test_the_bench_presigner_makes_urls_floe_accepts_and_only_for_what_it_signed(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="dir/key with space", Body=b"x" * 4096)
    signer = cb.Presigner(f"127.0.0.1:{server.port}", access_key=ROOT_USER, secret=ROOT_PASSWORD)
    url = server.endpoint + signer.url("HEAD", f"/{bucket}/dir/key with space")
    assert requests.head(url).status_code == 200
    assert requests.head(url.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status_code == 403
    assert requests.get(url).status_code == 403  # signed for HEAD
    wrong = cb.Presigner(f"127.0.0.1:{server.port}", access_key=ROOT_USER, secret=ROOT_PASSWORD + "x")
    assert requests.head(server.endpoint + wrong.url("HEAD", f"/{bucket}/dir/key with space")).status_code == 403
