"""Clients that read or send slowly, or not at all, against a server with a 2 s idle timeout:
an answer read slowly but steadily arrives whole (also when it is sent from its file), a client
that stops reading is disconnected, a refused upload trickled byte by byte does not hold its
connection, and oversized trailers never put a second answer inside the one being sent.
Every wait and loop is bounded; everything is on loopback."""
import socket
import struct
import time
import uuid

import pytest

from floe_harness import new_server
from test_security_s3 import read_http

IDLE = 2
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def slow_world():
    server = new_server(FLOE_IDLE_TIMEOUT=str(IDLE))
    s3 = server.boto3()
    bucket = f"slow-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    objects = {
        "sent-from-file": bytes((i * 31) % 251 for i in range(20 * MIB)),
        # Sealed (SSE-S3): its plaintext is not in the file, so it is read in 1 MiB chunks.
        "read-in-chunks": b"r" * (40 * MIB),
        "one-mib": bytes((i * 7) % 253 for i in range(MIB)),
    }
    for key, data in objects.items():
        extra = {"ServerSideEncryption": "AES256"} if key == "read-in-chunks" else {}
        s3.put_object(Bucket=bucket, Key=key, Body=data, **extra)
    try:
        yield server, s3, bucket, objects
    finally:
        server.stop()
        server.cleanup()


def presigned_path(server, s3, bucket, key) -> str:
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=600)
    return url[len(server.endpoint):]


def small_window_socket(port: int) -> socket.socket:
    """A connection whose receive window is small, so that what the client does not read stays
    with the server instead of in the kernel's buffers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", port))
    return sock


def split_answer(raw: bytes) -> tuple[int, dict, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split(" ")[1]), headers, body


def test_an_answer_read_slowly_but_steadily_arrives_whole(slow_world):
    """20 MiB sent from its file, read at 4 MiB/s: the transfer outlasts the idle timeout, but
    the socket takes a piece of the file every quarter second. The whole answer used to be
    counted as ended once it was queued, and the idle timeout cut it off mid-body."""
    server, s3, bucket, objects = slow_world
    with small_window_socket(server.port) as sock:
        sock.sendall(f"GET {presigned_path(server, s3, bucket, 'sent-from-file')} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        raw = read_http(sock, time.monotonic() + IDLE + 8, rate_bytes_per_s=4 * MIB)
    status, headers, body = split_answer(raw)
    assert status == 200
    assert len(body) == len(objects["sent-from-file"]) and body == objects["sent-from-file"]


@pytest.mark.parametrize("key", ["sent-from-file", "read-in-chunks"])
def test_a_download_slower_than_the_send_buffer_drains_is_not_cut(slow_world, key):
    """Read at 300 KB/s for four idle timeouts, then at full speed: the kernel's send buffer
    (megabytes) frees room a third at a time, so no write completes for longer than the idle
    timeout, yet the client is taking bytes all along (the socket's acknowledged-bytes count
    says so) and the answer arrives whole."""
    server, s3, bucket, objects = slow_world
    with small_window_socket(server.port) as sock:
        sock.sendall(f"GET {presigned_path(server, s3, bucket, key)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        slowly = read_http(sock, time.monotonic() + 4 * IDLE, rate_bytes_per_s=300_000)
        rest = read_http(sock, time.monotonic() + 20)
    status, _, body = split_answer(slowly + rest)
    assert status == 200
    assert len(body) == len(objects[key]) and body == objects[key]


@pytest.mark.parametrize("key", ["sent-from-file", "read-in-chunks"])
def test_a_client_that_stops_reading_is_disconnected(slow_world, key):
    """Nothing read for four idle timeouts: the server gives the connection up (it used to hold
    it, with its buffers and descriptors, for as long as the client liked), so reading afterwards
    gets the start of the answer and then the close, not the whole object."""
    server, s3, bucket, objects = slow_world
    with small_window_socket(server.port) as sock:
        sock.sendall(f"GET {presigned_path(server, s3, bucket, key)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
        time.sleep(4 * IDLE)
        raw = read_http(sock, time.monotonic() + 15)
    status, _, body = split_answer(raw)
    assert status == 200
    assert 0 < len(body) < len(objects[key]), f"{len(body)} of {len(objects[key])} bytes"


def test_downloads_the_client_abandons_are_not_logged_as_errors(slow_world):
    """Twenty GETs reset after their first bytes, from the file and from chunked reads: a client
    going away is routine, so the server logs no error line for it (it used to log one each,
    which an anonymous client could turn into a flood)."""
    server, s3, bucket, _ = slow_world
    for i in range(20):
        key = "sent-from-file" if i % 2 else "read-in-chunks"
        with small_window_socket(server.port) as sock:
            sock.sendall(f"GET {presigned_path(server, s3, bucket, key)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 OK")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    deadline = time.monotonic() + 3  # the log lines of the last resets may still be on their way
    while time.monotonic() < deadline and "mid-response" not in server.log():
        time.sleep(0.2)
    assert "object body failed mid-response" not in server.log()
    # The server is still serving.
    assert s3.head_object(Bucket=bucket, Key="one-mib")["ContentLength"] == MIB


def test_a_refused_upload_trickled_byte_by_byte_does_not_hold_its_connection(slow_world):
    """An anonymous PUT announcing a terabyte is refused at once; its body, sent a byte every
    half second, is no longer anyone's: the connection ends about an idle timeout later."""
    server, _, bucket, _ = slow_world
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(f"PUT /{bucket}/trickle HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000000000\r\n\r\nx".encode())
        sock.settimeout(5)
        answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 403 "), answer[:100]
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < 4 * IDLE + 2:
            try:
                sock.sendall(b"x")
                sock.settimeout(0.5)
                if sock.recv(65536) == b"":
                    closed = True
                    break
            except socket.timeout:
                continue
            except OSError:
                closed = True
                break
        assert closed, "a trickled, refused body kept its connection open"
        assert time.monotonic() - started >= IDLE - 0.5


def test_oversized_trailers_do_not_write_a_second_answer_into_the_first(slow_world):
    """A GET with a chunked body whose trailers overflow the parser while the 1 MiB answer is
    still being sent: the answer arrives as it is, then the connection closes. The 400 for an
    oversized head used to be written in the middle of the object's bytes."""
    server, s3, bucket, objects = slow_world
    with small_window_socket(server.port) as sock:
        sock.sendall(
            f"GET {presigned_path(server, s3, bucket, 'one-mib')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            "Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n".encode())
        time.sleep(0.5)
        sock.sendall(b"0\r\nX-Padding: " + b"p" * 70_000 + b"\r\n\r\n")
        raw = read_http(sock, time.monotonic() + 10)
    status, headers, body = split_answer(raw)
    assert status == 200 and int(headers["content-length"]) == MIB
    assert body == objects["one-mib"], f"{len(body)} bytes after the head; a 400 inside: {b'HTTP/1.1 400' in body}"
