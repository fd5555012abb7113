"""Memory stays bounded while many clients download large objects at once.

Regression guard: the response writer queued chunks without bound until the connection's event
loop took them, and reading from the page cache outran a busy loop, so eight concurrent 64 MiB
GETs held hundreds of MiB. Each response now waits for its loop to take every chunk.
"""
import json
import os
import re
import socket
import subprocess
import tempfile
import time
import urllib.parse

import pytest

from floe_harness import new_server

LOADGEN = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "bench", "loadgen.c")
SIZE = 64 << 20


def allocated_bytes_at_releases(server) -> list[int]:
    """The bytes in use that each idle release logged (`IdleMemoryRelease`, debug level)."""
    found = re.findall(r"allocated_bytes=(-?\d+)[^\n]*returned idle memory", server.log())
    values = [int(v) for v in found]
    assert all(v >= 0 for v in values), "the allocator does not report its bytes in use"
    return values


def status_kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"{field} missing")


@pytest.mark.parametrize("encryption", [None, "AES256"], ids=["plain", "sse-s3"])
def test_concurrent_large_gets_keep_memory_bounded(encryption):
    """Encrypted objects too: a GET opens a megabyte of sealed chunks at a time, whatever the size."""
    server = new_server()
    try:
        s3 = server.boto3()
        s3.create_bucket(Bucket="big")
        block = os.urandom(1 << 20)
        s3.put_object(Bucket="big", Key="obj", Body=block * (SIZE >> 20), **({"ServerSideEncryption": encryption} if encryption else {}))
        url = urllib.parse.urlsplit(s3.generate_presigned_url("get_object", Params={"Bucket": "big", "Key": "obj"}, ExpiresIn=600))
        with tempfile.TemporaryDirectory() as work:
            binary = os.path.join(work, "loadgen")
            subprocess.run(["cc", "-O2", "-pthread", "-o", binary, LOADGEN], check=True)
            targets = os.path.join(work, "targets")
            with open(targets, "w") as f:
                f.write(f"{url.path}?{url.query}\n")
            pid = server.process.pid
            idle = status_kib(pid, "VmRSS")
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")  # resets VmHWM to the current RSS
            started = time.monotonic()
            run = subprocess.run([binary, "-p", str(server.port), "-m", "GET", "-f", targets, "-c", "8", "-d", "6", "-n", "400"],
                                 capture_output=True, text=True, timeout=120)
            assert run.returncode == 0, run.stderr
            result = json.loads(run.stdout)
            assert result["errors"] == 0 and result["requests"] >= 8, run.stdout
            assert result["bytes_in"] == result["requests"] * SIZE
            peak = status_kib(pid, "VmHWM")
        growth_mib = (peak - idle) / 1024
        # Eight responses of two 1 MiB chunks each, plus allocator slack; before the fix this was
        # several hundred MiB (most of each object queued in memory).
        assert growth_mib < 64, f"server memory grew by {growth_mib:.0f} MiB for 8 concurrent 64 MiB GETs " \
                                f"({result['requests']} GETs in {time.monotonic() - started:.1f} s)"
    finally:
        server.stop()
        server.cleanup()


def code_resident_kib(pid: int) -> int:
    """Resident KiB of the server executable's own code (its read-and-execute mappings)."""
    exe = os.readlink(f"/proc/{pid}/exe")
    total, in_code = 0, False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            fields = line.split()
            if "-" in fields[0] and len(fields) >= 5 and all(c in "0123456789abcdef-" for c in fields[0]):
                in_code = fields[1] == "r-xp" and len(fields) >= 6 and fields[5] == exe
            elif in_code and fields[0] == "Rss:":
                total += int(fields[1])
    return total


def test_idle_server_hands_back_start_up_code():
    """Start-up runs code that serving never runs again, and the kernel maps code around every
    page touched: a fresh server held most of its executable's code (24 MiB of a debug build, 15 of
    a release build) while idle. Once its listeners are up it unmaps those pages; requests map
    back what they run. The servers of other tests may run the same executable meanwhile: the
    pages go from this process's mappings only."""
    server = new_server()
    try:
        pid = server.process.pid
        deadline, resident = time.monotonic() + 20, code_resident_kib(pid)
        while resident >= 8 << 10 and time.monotonic() < deadline:
            time.sleep(0.25)
            resident = code_resident_kib(pid)
        assert resident < 8 << 10, f"{resident} KiB of the executable's code still resident 20 s after start"
        s3 = server.boto3()
        s3.create_bucket(Bucket="after-release")
        s3.put_object(Bucket="after-release", Key="k", Body=b"still served")
        assert s3.get_object(Bucket="after-release", Key="k")["Body"].read() == b"still served"
    finally:
        server.stop()
        server.cleanup()


def test_closed_connections_leave_nothing_behind():
    """Each closed connection's handlers are freed: a connection's handler referred to itself, so
    it stayed in memory after its close, with its codec and the buffer of its last answer's head
    (about 650 bytes per connection, 5 KB with a kept 4 KB head). Rounds of connections that each
    get one answer and close must level off. What is weighed is the bytes the allocator has handed
    out and not had back, as the idle release (`IdleMemoryRelease`) logs them once the server has
    gone quiet. The resident size moved by up to 55 MB from round to round before the release
    (with where 3,000 connections' task frames happened to land) and by megabytes after it (with
    the pages the allocator kept), and failed the test at random."""
    server = new_server(FLOE_LOG_LEVEL="debug")  # the idle release says when it has run
    try:
        s3 = server.boto3()
        s3.create_bucket(Bucket="conns")
        s3.put_object(Bucket="conns", Key="obj", Body=b"x", ContentDisposition="a" * 3700)
        url = urllib.parse.urlsplit(server.presign("GET", "conns", "obj"))
        request = f"GET {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode()
        pid = server.process.pid
        after_round, rss_after_round = [], []
        for _ in range(6):
            sockets = []
            for _ in range(3000):
                s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
                s.sendall(request)
                sockets.append(s)
            for s in sockets:
                answer = b""
                while not answer.endswith(b"\r\n\r\nx"):  # the head, then the object's one byte
                    chunk = s.recv(65536)
                    assert chunk, "connection closed before its answer"
                    answer += chunk
                assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
                s.close()
            # The connections' workers end within two seconds of their last answer; the release
            # runs at the end of the first whole quiet interval (5 s) after that, and logs the bytes
            # the allocator has handed out and not had back.
            releases = allocated_bytes_at_releases(server)
            deadline = time.monotonic() + 30
            while len(allocated_bytes_at_releases(server)) == len(releases):
                assert time.monotonic() < deadline, "no idle release within 30 s of the round"
                time.sleep(0.5)
            after_round.append(allocated_bytes_at_releases(server)[-1])
            rss_after_round.append(status_kib(pid, "VmRSS"))
        # In a CI run of 2026-12-07, RSS after the trim moved by 3.7 MB over three rounds. Bytes in
        # use grew by 140 KB from round 2 to round 6; with the handler kept per closed connection
        # again, by 1.25 MB every round (4.9 MB from round 2 to round 6). Round 1 also fills what is
        # made once.
        growth = after_round[5] - min(after_round[1:3])
        assert growth < 1 << 20, f"bytes in use after each round: {after_round}; RSS (KiB): {rss_after_round}"
    finally:
        server.stop()
        server.cleanup()
