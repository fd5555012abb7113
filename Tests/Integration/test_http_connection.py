"""The S3 listener's HTTP/1.1 connection handling (Sources/S3API/Connection): pipelined requests,
`Connection: close`, malformed requests, bodies the responder does not read, and clients that
vanish mid-body. Requests are written by hand on raw sockets; every wait is bounded."""
import socket
import time
import uuid

import pytest

from test_security_s3 import signed_headers


@pytest.fixture(scope="module")
def srv(shared_server):
    return shared_server


@pytest.fixture(scope="module")
def world(srv):
    s3 = srv.boto3()
    bucket = f"conn-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    objects = {"first": b"the first object", "second": b"2" * 70_000, "third": b""}
    for key, data in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=data)
    return s3, bucket, objects


def presigned_target(s3, srv, method, bucket, key) -> str:
    url = s3.generate_presigned_url("get_object" if method == "GET" else "head_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=600)
    return url[len(srv.endpoint):]


def request_bytes(srv, method, target, extra: str = "") -> bytes:
    return f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n{extra}\r\n".encode()


class Responses:
    """Reads whole responses (Content-Length framed) from a socket, within a deadline."""

    def __init__(self, sock, seconds=10.0):
        self.sock, self.buffer, self.deadline = sock, b"", time.monotonic() + seconds

    def _fill(self) -> bool:
        self.sock.settimeout(max(0.05, self.deadline - time.monotonic()))
        try:
            chunk = self.sock.recv(65536)
        except (socket.timeout, OSError):
            return False
        self.buffer += chunk
        return bool(chunk)

    def next(self, head_only=False):
        """(status, headers, body) of the next response; None when the peer closed or time ran out."""
        while b"\r\n\r\n" not in self.buffer:
            if time.monotonic() > self.deadline or not self._fill():
                return None
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = 0 if head_only or status == 100 else int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            if time.monotonic() > self.deadline or not self._fill():
                return None
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def closed(self) -> bool:
        """Whether the peer closes the connection before the deadline (with nothing more sent)."""
        while time.monotonic() < self.deadline:
            self.sock.settimeout(max(0.05, self.deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except OSError:
                return True
            if not chunk:
                return True
            self.buffer += chunk
        return False


def test_pipelined_requests_are_answered_in_order(srv, world):
    s3, bucket, objects = world
    batch = b"".join([
        request_bytes(srv, "GET", presigned_target(s3, srv, "GET", bucket, "second")),
        request_bytes(srv, "HEAD", presigned_target(s3, srv, "HEAD", bucket, "first")),
        request_bytes(srv, "GET", "/floe/health/live"),
        request_bytes(srv, "GET", presigned_target(s3, srv, "GET", bucket, "third")),
        request_bytes(srv, "GET", presigned_target(s3, srv, "GET", bucket, "first")),
    ])
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(batch)
        replies = Responses(sock)
        second = replies.next()
        head = replies.next(head_only=True)
        health = replies.next()
        third = replies.next()
        first = replies.next()
    assert second[0] == 200 and second[2] == objects["second"]
    assert head[0] == 200 and head[1]["content-length"] == str(len(objects["first"])), head
    assert health[0] == 200 and health[2] == b"ok\n"
    assert third[0] == 200 and third[2] == b"" and third[1]["content-length"] == "0"
    assert first[0] == 200 and first[2] == objects["first"]
    # Every response carries its own request id and a Date.
    ids = {reply[1]["x-amz-request-id"] for reply in (second, head, third, first)}
    assert len(ids) == 4
    assert all("date" in reply[1] for reply in (second, head, health, third, first))


@pytest.mark.parametrize("option", ["close", "Keep-Alive, Close"])
def test_connection_close_is_answered_then_the_connection_ends(srv, world, option):
    s3, bucket, objects = world
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(request_bytes(srv, "GET", presigned_target(s3, srv, "GET", bucket, "first"), f"Connection: {option}\r\n"))
        replies = Responses(sock)
        status, headers, body = replies.next()
        assert (status, body) == (200, objects["first"])
        assert headers.get("connection") == "close"
        assert replies.closed()


def test_nothing_is_written_after_the_answer_to_connection_close(srv, world):
    """A request pipelined behind a `Connection: close` one is neither run nor answered: the
    parser's complaint about bytes after the close once drew a 400 written after a long answer."""
    s3, bucket, _ = world
    body = b"c" * (4 * 1024 * 1024)
    s3.put_object(Bucket=bucket, Key="long", Body=body)
    closing = request_bytes(srv, "GET", presigned_target(s3, srv, "GET", bucket, "long"), "Connection: close\r\n")
    behind = request_bytes(srv, "HEAD", presigned_target(s3, srv, "HEAD", bucket, "first"))
    for _ in range(20):
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(closing + behind)
            replies = Responses(sock)
            status, headers, received = replies.next()
            assert (status, received == body, headers.get("connection")) == (200, True, "close")
            assert replies.closed()
            assert replies.buffer == b"", replies.buffer[:200]


def test_a_malformed_request_gets_400_and_the_connection_ends(srv):
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(b"GET /floe/health/live HTTP/1.1\r\nHost: x\r\nthis is no header\r\n\r\n")
        replies = Responses(sock)
        reply = replies.next()
        assert reply is not None and reply[0] == 400
        assert replies.closed()
    # After a good request on the same connection, too.
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(request_bytes(srv, "GET", "/floe/health/live") + b"NOT-HTTP\x00\x01\r\n\r\n")
        replies = Responses(sock)
        assert replies.next()[0] == 200
        reply = replies.next()
        assert reply is not None and reply[0] == 400
        assert replies.closed()


def test_bytes_past_a_declared_body_are_not_run_as_a_request(srv, world):
    """A body longer than its Content-Length: the bytes past it ("lo" and a signed DELETE) are no
    request. The server answers the PUT, then 400, closes, and the DELETE never runs."""
    s3, bucket, _ = world
    s3.put_object(Bucket=bucket, Key="victim", Body=b"kept")
    target = f"/{bucket}/miscounted"
    headers = signed_headers(srv, "PUT", target)
    put = f"PUT {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "Content-Length: 3\r\n\r\n"
    victim = f"/{bucket}/victim"
    delete = f"DELETE {victim} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in signed_headers(srv, "DELETE", victim).items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(put.encode() + b"hello" + delete.encode())
        replies = Responses(sock)
        stored = replies.next()
        assert stored is not None and stored[0] == 200, stored
        refused = replies.next()
        assert refused is not None and refused[0] == 400, refused
        assert replies.closed()
    assert s3.get_object(Bucket=bucket, Key="miscounted")["Body"].read() == b"hel"
    assert s3.get_object(Bucket=bucket, Key="victim")["Body"].read() == b"kept"


def test_a_refused_body_is_skipped_and_the_connection_serves_the_next_request(srv, world):
    """A PUT refused before its body is read (bad signature): the server answers, reads past the
    2 MiB body it does not want, and answers the next request on the same connection."""
    s3, bucket, objects = world
    size = 2 * 1024 * 1024
    target = f"/{bucket}/refused"
    headers = signed_headers(srv, "PUT", target, secret="not-the-root-secret")
    head = f"PUT {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + f"Content-Length: {size}\r\n\r\n"
    body = bytes(range(256)) * (size // 256)
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(head.encode() + body + request_bytes(srv, "GET", presigned_target(s3, srv, "GET", bucket, "second")))
        replies = Responses(sock)
        refused = replies.next()
        assert refused is not None and refused[0] == 403, refused
        following = replies.next()
        assert following is not None and following[0] == 200 and following[2] == objects["second"]
    with pytest.raises(Exception):
        s3.head_object(Bucket=bucket, Key="refused")


def test_a_client_gone_mid_body_stores_nothing_and_the_server_carries_on(srv, world):
    s3, bucket, _ = world
    size = 4 * 1024 * 1024
    target = f"/{bucket}/cut-short"
    headers = signed_headers(srv, "PUT", target)
    head = f"PUT {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + f"Content-Length: {size}\r\n\r\n"
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(head.encode() + b"x" * (size // 4))
    time.sleep(0.5)
    with pytest.raises(Exception):
        s3.head_object(Bucket=bucket, Key="cut-short")
    # A whole upload of the same key over a fresh connection still works.
    data = b"y" * size
    s3.put_object(Bucket=bucket, Key="cut-short", Body=data)
    assert s3.get_object(Bucket=bucket, Key="cut-short")["Body"].read() == data


def test_a_body_sent_slowly_in_small_pieces_arrives_whole(srv, world):
    """The body stream's backpressure: a PUT written in 1,000 small pieces, some after pauses."""
    s3, bucket, _ = world
    data = bytes((i * 7) % 251 for i in range(1_000_000))
    target = f"/{bucket}/slow"
    headers = signed_headers(srv, "PUT", target)
    head = f"PUT {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + f"Content-Length: {len(data)}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(head.encode())
        for i in range(0, len(data), 1000):
            sock.sendall(data[i:i + 1000])
            if i % 100_000 == 0:
                time.sleep(0.05)
        reply = Responses(sock).next()
    assert reply is not None and reply[0] == 200, reply
    assert s3.get_object(Bucket=bucket, Key="slow")["Body"].read() == data


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def test_pipelined_requests_never_read_do_not_pile_up_answers(srv, world):
    """A client that pipelines 200 GETs of a 1 MiB object and reads nothing: the server starts a
    request only when the connection can take its answer, so its memory stays put (it grew by
    about 200 MB when every answer was queued)."""
    s3, bucket, _ = world
    s3.put_object(Bucket=bucket, Key="onemib", Body=b"m" * (1 << 20))
    target = presigned_target(s3, srv, "GET", bucket, "onemib")
    pid = srv.process.pid
    before = rss_kib(pid)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", srv.port))
        sock.setblocking(False)
        request = request_bytes(srv, "GET", target)
        deadline = time.monotonic() + 10
        pending = request * 200
        while pending and time.monotonic() < deadline:
            try:
                sent = sock.send(pending)
                pending = pending[sent:]
            except BlockingIOError:
                time.sleep(0.05)
        time.sleep(2)
        grown = rss_kib(pid) - before
    assert grown < 48 * 1024, f"the server's RSS grew by {grown // 1024} MB for unread pipelined answers"
    # The server carries on.
    assert s3.get_object(Bucket=bucket, Key="first")["Body"].read() == world[2]["first"]


def test_a_request_pipelined_after_a_refused_expect_is_not_run(srv, world):
    """A PUT with `Expect: 100-continue` refused (bad signature) answers 403 and closes the
    connection; a DELETE pipelined behind it must not run unanswered."""
    s3, bucket, _ = world
    s3.put_object(Bucket=bucket, Key="victim", Body=b"keep me")
    put_target = f"/{bucket}/expected"
    headers = signed_headers(srv, "PUT", put_target, secret="not-the-root-secret")
    put = f"PUT {put_target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    put += "Content-Length: 10\r\nExpect: 100-continue\r\n\r\n0123456789"
    delete_target = f"/{bucket}/victim"
    delete_headers = signed_headers(srv, "DELETE", delete_target)
    delete = f"DELETE {delete_target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in delete_headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(put.encode() + delete.encode())
        replies = Responses(sock)
        refused = replies.next()
        assert refused is not None and refused[0] == 403, refused
        assert replies.closed()
    time.sleep(0.5)
    assert s3.get_object(Bucket=bucket, Key="victim")["Body"].read() == b"keep me"


def test_an_http_1_0_request_is_answered_then_the_connection_ends(srv, world):
    """HTTP/1.0 without keep-alive: one answer, `Connection: close`, then the connection closes
    (RFC 9112 §9.3). A request pipelined behind it is not run."""
    s3, bucket, objects = world
    s3.put_object(Bucket=bucket, Key="spared", Body=b"still here")
    target = presigned_target(s3, srv, "GET", bucket, "first")
    delete_target = f"/{bucket}/spared"
    delete = f"DELETE {delete_target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in signed_headers(srv, "DELETE", delete_target).items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.0\r\n\r\n".encode() + delete.encode())
        replies = Responses(sock, seconds=5)
        first = replies.next()
        assert first is not None and first[0] == 200 and first[2] == objects["first"], first
        assert first[1].get("connection") == "close"
        assert replies.closed() and replies.buffer == b"", replies.buffer[:200]
    time.sleep(0.5)
    assert s3.get_object(Bucket=bucket, Key="spared")["Body"].read() == b"still here"


def test_an_http_1_0_keep_alive_connection_serves_the_next_request(srv, world):
    s3, bucket, objects = world
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        replies = Responses(sock)
        for key in ("first", "second"):
            target = presigned_target(s3, srv, "GET", bucket, key)
            sock.sendall(f"GET {target} HTTP/1.0\r\nConnection: keep-alive\r\n\r\n".encode())
            reply = replies.next()
            assert reply is not None and reply[0] == 200 and reply[2] == objects[key], (key, reply)
            assert reply[1].get("connection") == "keep-alive"
            assert "transfer-encoding" not in reply[1]


def test_an_http_1_0_chunked_request_ends_its_connection_even_with_keep_alive(srv, world):
    """A 1.0 message framed with a transfer coding is faulty (RFC 9112 §6.1): it is answered and
    the connection closes, so nothing pipelined behind it runs (review finding)."""
    s3, bucket, _ = world
    s3.put_object(Bucket=bucket, Key="kept-1-0", Body=b"kept")
    delete_target = f"/{bucket}/kept-1-0"
    delete = f"DELETE {delete_target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in signed_headers(srv, "DELETE", delete_target).items()) + "\r\n"
    chunked = (f"PUT /{bucket}/chunked-1-0 HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n"
               "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(chunked.encode() + delete.encode())
        replies = Responses(sock, seconds=5)
        answer = replies.next()
        assert answer is not None and answer[1].get("connection") == "close", answer
        assert replies.closed() and replies.buffer == b"", replies.buffer[:200]
    time.sleep(0.5)
    assert s3.get_object(Bucket=bucket, Key="kept-1-0")["Body"].read() == b"kept"


def test_an_http_1_0_client_gets_no_interim_answer_and_a_true_connection_header(srv, world):
    """No `100 Continue` to a 1.0 client (RFC 9110 §15.2), and an answer that closes says so even
    when the request asked for keep-alive (review findings)."""
    s3, bucket, _ = world
    target = f"/{bucket}/expect-1-0"
    headers = signed_headers(srv, "PUT", target)
    put = f"PUT {target} HTTP/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    put += "Content-Length: 10\r\nExpect: 100-continue\r\nConnection: keep-alive\r\n\r\n0123456789"
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(put.encode())
        replies = Responses(sock, seconds=5)
        answer = replies.next()
        assert answer is not None and answer[0] == 200, answer
        assert answer[1].get("connection") == "keep-alive"
    assert s3.get_object(Bucket=bucket, Key="expect-1-0")["Body"].read() == b"0123456789"
    get = presigned_target(s3, srv, "GET", bucket, "first")
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(f"GET {get} HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n".encode())
        replies = Responses(sock, seconds=5)
        answer = replies.next()
        assert answer is not None and answer[0] == 200 and answer[1].get("connection") == "close", answer
        assert replies.closed()


def raw_head_fields(port, request: bytes) -> list:
    """The field lines of the head of the one answer to `request`, on a connection of its own."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        raw, deadline = b"", time.monotonic() + 10
        while b"\r\n\r\n" not in raw and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            raw += chunk
    return raw.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]


def test_each_answer_field_is_sent_once(srv, world):
    """The fields every answer gets (its ids, Date, Server) and an object's own (length, type,
    stored content headers) are appended, not set: none may appear twice, whatever the object
    keeps or the answer is (a range, an override of a stored header, 304, 404, a listing)."""
    s3, bucket, _ = world
    s3.put_object(Bucket=bucket, Key="described", Body=b"described", ContentType="text/plain",
                  CacheControl="no-cache", ContentDisposition="inline", Metadata={"colour": "blue"})
    etag = s3.head_object(Bucket=bucket, Key="described")["ETag"]
    get = presigned_target(s3, srv, "GET", bucket, "described")
    overridden = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "described", "ResponseContentType": "text/csv",
                              "ResponseCacheControl": "max-age=5"}, ExpiresIn=600)[len(srv.endpoint):]
    listing = s3.generate_presigned_url("list_objects_v2", Params={"Bucket": bucket}, ExpiresIn=600)[len(srv.endpoint):]
    cases = [("HEAD", presigned_target(s3, srv, "HEAD", bucket, "described"), "", 200),
             ("GET", get, "", 200),
             ("GET", get, "Range: bytes=0-3\r\n", 206),
             ("GET", get, f"If-None-Match: {etag}\r\n", 304),
             ("GET", overridden, "", 200),
             ("GET", presigned_target(s3, srv, "GET", bucket, "missing"), "", 404),
             ("GET", listing, "", 200)]
    for method, target, extra, status in cases:
        lines = raw_head_fields(srv.port, request_bytes(srv, method, target, extra + "Connection: close\r\n"))
        names = [line.partition(":")[0].strip().lower() for line in lines]
        duplicated = sorted({name for name in names if names.count(name) > 1})
        assert duplicated == [], (method, target, extra, lines)
        assert all(name in names for name in ["date", "server", "x-amz-request-id", "x-amz-id-2"]), (method, target, lines)
        if status != 304:
            assert "content-length" in names, (method, target, lines)
        if "described" in target and status != 304:
            for name in ("content-type", "cache-control", "etag", "last-modified"):
                assert name in names, (name, lines)
        if target == overridden:
            fields = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines)}
            assert fields["content-type"] == "text/csv" and fields["cache-control"] == "max-age=5", lines
    # The catalog's answers get their Date through the same connection code.
    lines = raw_head_fields(srv.catalog_port, b"GET /v1/config HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    names = [line.partition(":")[0].strip().lower() for line in lines]
    assert names.count("date") == 1 and len(names) == len(set(names)), lines
