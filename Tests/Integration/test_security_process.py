"""Security regressions outside the request path (issue #10):
defect 15, a second `floe server` on a data directory that is in use must refuse to start, and
defect 16, `floe cp -r` / `floe mirror` never write outside the local target directory."""
import hashlib
import http.client
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.parse
import uuid

import pytest
import requests

from floe_harness import ROOT_PASSWORD, ROOT_USER, FloeServer, free_port, new_server

BINARY = os.environ.get("FLOE_BINARY") or os.path.join(os.path.dirname(__file__), "../../.build/debug/floe")

IN_USE = re.compile(r"in use|lock|already running|another .*(process|server)", re.IGNORECASE)


def _server_env() -> dict:
    env = dict(os.environ)
    env.update({"FLOE_ROOT_USER": ROOT_USER, "FLOE_ROOT_PASSWORD": ROOT_PASSWORD})
    return env


def _start_second_server(data: str) -> tuple[subprocess.Popen, int, str]:
    port = free_port()
    log_path = os.path.join(os.path.dirname(data), f"second-{port}.log")
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [BINARY, "server", "--data", data, "--no-console", "--s3-address", f"127.0.0.1:{port}", "--catalog-address", f"127.0.0.1:{free_port()}"],
        stdout=log, stderr=subprocess.STDOUT, env=_server_env(),
    )
    log.close()
    return process, port, log_path


def _stop(process: subprocess.Popen):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


def _slow_upload(server: FloeServer, bucket: str, key: str, payload: bytes, results: dict, pause: float = 0.3):
    """A presigned PUT whose body arrives in 1 MiB pieces, so its temporary file exists for seconds."""
    try:
        url = urllib.parse.urlsplit(server.presign("PUT", bucket, key, expires=300))
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        connection.putrequest("PUT", url.path + "?" + url.query)
        connection.putheader("Content-Length", str(len(payload)))
        connection.endheaders()
        for i in range(0, len(payload), 1 << 20):
            connection.send(payload[i:i + (1 << 20)])
            time.sleep(pause)
        response = connection.getresponse()
        results["status"] = response.status
        results["body"] = response.read()[:500]
        connection.close()
    except Exception as error:  # reported by the test, never raised in the thread
        results["error"] = repr(error)


def test_defect15_second_server_on_same_data_dir_refuses_to_start_and_first_keeps_its_data():
    """Defect 15: nothing locked the data directory; a second server ran the startup sweep and deleted
    the live server's temporary files. Now it must exit non-zero with a clear message, promptly."""
    first = new_server()
    second = None
    try:
        s3 = first.boto3()
        s3.create_bucket(Bucket="locked")
        bodies = {f"obj-{i:02d}": os.urandom(1000 + i * 4099) for i in range(20)}
        for key, body in bodies.items():
            s3.put_object(Bucket="locked", Key=key, Body=body)

        # An upload in flight on the first server while the second one starts (its temp file is live).
        payload = os.urandom(12 << 20)
        upload: dict = {}
        uploader = threading.Thread(target=_slow_upload, args=(first, "locked", "in-flight.bin", payload, upload))
        uploader.start()
        time.sleep(0.6)

        data = os.path.join(first.data_dir, "data")
        second, second_port, second_log = _start_second_server(data)
        deadline = time.time() + 10
        while time.time() < deadline and second.poll() is None:
            time.sleep(0.1)
        exit_code = second.poll()
        serving = False
        if exit_code is None:
            try:
                serving = requests.get(f"http://127.0.0.1:{second_port}/floe/health/ready", timeout=2).status_code == 200
            except requests.RequestException:
                pass
            _stop(second)
        with open(second_log, "rb") as f:
            second_output = f.read().decode("utf-8", "replace")

        uploader.join(timeout=60)
        assert not uploader.is_alive()

        # The first server is alive and every object it acknowledged is intact.
        assert first.process.poll() is None, "the first server died"
        lost = []
        for key, body in bodies.items():
            try:
                got = s3.get_object(Bucket="locked", Key=key)["Body"].read()
                if hashlib.md5(got).digest() != hashlib.md5(body).digest():
                    lost.append((key, "different bytes"))
            except Exception as error:
                lost.append((key, repr(error)[:200]))
        in_flight = None
        if upload.get("status") == 200:
            try:
                in_flight = s3.get_object(Bucket="locked", Key="in-flight.bin")["Body"].read() == payload
            except Exception as error:
                in_flight = repr(error)[:200]

        assert exit_code is not None, (
            f"the second server on the same --data directory was still running after 10 s "
            f"(serving={serving}); its output:\n{second_output[-3000:]}\n"
            f"in-flight upload on the first server: {upload}; its GET matched: {in_flight}")
        assert exit_code != 0, f"the second server exited 0:\n{second_output[-3000:]}"
        assert IN_USE.search(second_output), f"no clear 'directory in use' message:\n{second_output[-3000:]}"
        assert data in second_output or "--data" in second_output or "directory" in second_output.lower(), second_output[-3000:]
        assert not lost, f"objects of the first server were damaged: {lost}"
        assert upload.get("status") == 200, f"the in-flight upload on the first server failed: {upload}"
        assert in_flight is True, f"the in-flight upload did not read back whole: {in_flight}"
        # Still writable afterwards.
        s3.put_object(Bucket="locked", Key="after", Body=b"after")
        assert s3.get_object(Bucket="locked", Key="after")["Body"].read() == b"after"
    finally:
        if second is not None:
            _stop(second)
        first.cleanup()


def test_defect15_lock_is_released_when_the_server_stops_or_is_killed():
    """Defect 15 (guard for the fix): the lock belongs to the process, so a clean stop and a kill -9 both
    leave a directory the next server opens at once, with its objects."""
    instance = new_server()
    try:
        s3 = instance.boto3()
        s3.create_bucket(Bucket="relock")
        s3.put_object(Bucket="relock", Key="k", Body=b"kept")
        for stop in ("sigterm", "kill9"):
            if stop == "sigterm":
                assert instance.stop() == 0
            else:
                instance.kill9()
            instance.port = 0
            instance.catalog_port = 0
            instance.start(timeout=20)
            assert instance.boto3().get_object(Bucket="relock", Key="k")["Body"].read() == b"kept"
    finally:
        instance.cleanup()


# --- defect 16: the CLI downloading keys that are not safe relative paths ---

UNSAFE_KEYS = ["../../evil", "a/../../evil2", "sub/../../../evil3"]
SAFE_KEYS = ["good.txt", "dir/inner.txt"]
MESSAGE = re.compile(r"outside|unsafe|skip|refus|escap|traversal|invalid|not allowed", re.IGNORECASE)


@pytest.fixture(scope="module")
def cli_server():
    instance = new_server()
    yield instance
    instance.cleanup()


@pytest.fixture
def sandbox():
    """A scratch tree; the target directory sits four levels down so every `..` lands inside the sandbox."""
    root = tempfile.mkdtemp(prefix="floe-d16-")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _floe(server: FloeServer, sandbox: str, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, FLOE_CONFIG_DIR=os.path.join(sandbox, "config"), COLUMNS="80",
               FLOE_ALIAS_T=f"{server.endpoint},{ROOT_USER},{ROOT_PASSWORD},{server.catalog_endpoint}")
    return subprocess.run([BINARY, *args], env=env, capture_output=True, timeout=120, cwd=sandbox)


def _files(root: str) -> set[str]:
    found = set()
    for directory, _, names in os.walk(root):
        for name in names:
            found.add(os.path.relpath(os.path.join(directory, name), root))
    return found


def _bucket_with_unsafe_keys(server: FloeServer, absolute_key: str) -> str:
    s3 = server.boto3()
    bucket = "d16-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    for key in SAFE_KEYS + UNSAFE_KEYS + [absolute_key]:
        s3.put_object(Bucket=bucket, Key=key, Body=f"body of {key}".encode())
    listed = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert listed == sorted(SAFE_KEYS + UNSAFE_KEYS + [absolute_key]), listed
    return bucket


def _check_contained(sandbox: str, target: str, before: set[str], absolute_key: str, result: subprocess.CompletedProcess, command: str):
    output = result.stdout.decode("utf-8", "replace") + result.stderr.decode("utf-8", "replace")
    absolute_path = "/" + absolute_key.lstrip("/")
    escaped_absolute = os.path.exists(absolute_path)
    if escaped_absolute:
        os.unlink(absolute_path)
    target_rel = os.path.relpath(target, sandbox)
    outside = sorted(p for p in _files(sandbox) - before
                     if not (p + "/").startswith(target_rel + "/") and not p.startswith("config/"))
    assert not outside and not escaped_absolute, (
        f"`floe {command}` wrote outside the target directory: {outside}"
        f"{' and ' + absolute_path if escaped_absolute else ''} (exit {result.returncode}):\n{output[-2000:]}")
    inside = _files(target) if os.path.isdir(target) else set()
    for path in inside:
        real = os.path.realpath(os.path.join(target, path))
        assert real.startswith(os.path.realpath(target) + os.sep), (path, real)
    # Refused (non-zero) or skipped: either way the user is told about the unsafe keys.
    assert MESSAGE.search(output), f"`floe {command}` said nothing about the unsafe keys (exit {result.returncode}):\n{output[-2000:]}"
    if result.returncode == 0:
        # Skipping: the safe keys arrived whole.
        for key in SAFE_KEYS:
            assert os.path.isfile(os.path.join(target, key)), (key, sorted(inside), output[-2000:])
            with open(os.path.join(target, key), "rb") as f:
                assert f.read() == f"body of {key}".encode()


def test_defect16_cp_recursive_never_writes_outside_the_target(cli_server, sandbox):
    """Defect 16: `floe cp -r alias/bucket/ dir` wrote `../../evil` two levels above the target."""
    absolute_key = f"/floe-d16-abs-{uuid.uuid4().hex[:8]}"
    bucket = _bucket_with_unsafe_keys(cli_server, absolute_key)
    target = os.path.join(sandbox, "l1", "l2", "l3", "target")
    os.makedirs(target)
    before = _files(sandbox)
    result = _floe(cli_server, sandbox, "cp", "-r", f"t/{bucket}/", target)
    _check_contained(sandbox, target, before, absolute_key, result, "cp -r")


def test_defect16_cp_recursive_with_prefix_never_writes_outside_the_target(cli_server, sandbox):
    """Defect 16: the same through a prefix source (`bucket/sub`, keys relative to it)."""
    s3 = cli_server.boto3()
    bucket = "d16-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    for key in ["pre/ok.txt", "pre/../../../evil-p", "pre/x/../../../../evil-q"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    target = os.path.join(sandbox, "l1", "l2", "l3", "target")
    os.makedirs(target)
    before = _files(sandbox)
    result = _floe(cli_server, sandbox, "cp", "-r", f"t/{bucket}/pre/", target)
    output = result.stdout.decode("utf-8", "replace") + result.stderr.decode("utf-8", "replace")
    target_rel = os.path.relpath(target, sandbox)
    outside = sorted(p for p in _files(sandbox) - before if not (p + "/").startswith(target_rel + "/") and not p.startswith("config/"))
    assert not outside, f"`floe cp -r` wrote outside the target directory: {outside} (exit {result.returncode}):\n{output[-2000:]}"
    assert MESSAGE.search(output), f"nothing said about the unsafe keys (exit {result.returncode}):\n{output[-2000:]}"


def test_defect16_mirror_never_writes_outside_the_target(cli_server, sandbox):
    """Defect 16: `floe mirror alias/bucket dir` wrote `../../evil` two levels above the target."""
    absolute_key = f"/floe-d16-abs-{uuid.uuid4().hex[:8]}"
    bucket = _bucket_with_unsafe_keys(cli_server, absolute_key)
    target = os.path.join(sandbox, "l1", "l2", "l3", "target")
    os.makedirs(target)
    before = _files(sandbox)
    result = _floe(cli_server, sandbox, "mirror", f"t/{bucket}", target)
    _check_contained(sandbox, target, before, absolute_key, result, "mirror")


def test_defect16_mirror_remove_never_overwrites_outside_the_target(cli_server, sandbox):
    """Defect 16: mirror --remove compares names; an unsafe key must not make it touch files outside."""
    s3 = cli_server.boto3()
    bucket = "d16-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="../../victim.txt", Body=b"overwritten by mirror")
    s3.put_object(Bucket=bucket, Key="keep.txt", Body=b"keep")
    target = os.path.join(sandbox, "l1", "l2", "l3", "target")
    os.makedirs(target)
    victim = os.path.join(sandbox, "l1", "l2", "victim.txt")
    with open(victim, "wb") as f:
        f.write(b"precious")
    before = _files(sandbox)
    result = _floe(cli_server, sandbox, "mirror", "--remove", f"t/{bucket}", target)
    output = result.stdout.decode("utf-8", "replace") + result.stderr.decode("utf-8", "replace")
    with open(victim, "rb") as f:
        assert f.read() == b"precious", f"mirror overwrote a file outside the target (exit {result.returncode}):\n{output[-2000:]}"
    target_rel = os.path.relpath(target, sandbox)
    outside = sorted(p for p in _files(sandbox) - before if not (p + "/").startswith(target_rel + "/") and not p.startswith("config/"))
    assert not outside, outside
    assert MESSAGE.search(output), f"nothing said about the unsafe key (exit {result.returncode}):\n{output[-2000:]}"


def _connect(port: int):
    import socket
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    return sock


def _closed_by_server(sock, wait: float) -> bool:
    """True when the server closes the connection within `wait` seconds (EOF or reset)."""
    sock.settimeout(wait)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except OSError:
        return False


def test_idle_and_slow_connections_are_bounded_in_count_and_time():
    """#12 / "find the rest": idle and slow-header connections cannot pile up. Each listener holds
    at most FLOE_MAX_CONNECTIONS (the next is closed at once), and a connection that completes no
    request head within FLOE_IDLE_TIMEOUT is closed, after which new clients are served again."""
    server = new_server(FLOE_IDLE_TIMEOUT="2", FLOE_MAX_CONNECTIONS="16")
    held = []
    try:
        for _ in range(16):
            sock = _connect(server.port)
            sock.sendall(b"GET /floe/health/live HTTP/1.1\r\nHost: x\r\n")  # a head that never ends
            held.append(sock)
        time.sleep(0.3)
        extra = _connect(server.port)
        assert _closed_by_server(extra, 2.0), "a connection beyond the limit was kept open"
        extra.close()
        # The slow heads are closed by the idle timeout, and service resumes.
        assert all(_closed_by_server(sock, 6.0) for sock in held), "a slow-header connection outlived the idle timeout"
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if requests.get(f"{server.endpoint}/floe/health/live", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        assert requests.get(f"{server.endpoint}/floe/health/live", timeout=2).status_code == 200
        # The catalog listener is bounded the same way.
        catalog = [_connect(server.catalog_port) for _ in range(16)]
        late = _connect(server.catalog_port)
        time.sleep(0.3)
        assert _closed_by_server(late, 2.0)
        for sock in catalog + [late]:
            sock.close()
    finally:
        for sock in held:
            sock.close()
        server.stop()
        server.cleanup()


def test_requests_of_closed_connections_still_count_against_the_limit():
    """A client that sends a long request (a CopyObject of 256 MiB) and resets the connection at
    once has closed its socket, but the copy still runs. The connection limit counted sockets, so
    such requests could be started without bound, each reading and writing the whole object; a
    connection is now counted until the requests it started have ended."""
    import socket
    import struct
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    server = new_server(FLOE_MAX_CONNECTIONS="2")
    try:
        s3 = server.boto3()
        s3.create_bucket(Bucket="copies")
        s3.put_object(Bucket="copies", Key="big", Body=os.urandom(1 << 20) * 256)
        s3.close()  # its pooled connections would count too
        time.sleep(0.5)

        def copy_request(n: int) -> bytes:
            url = f"{server.endpoint}/copies/copy-{n}"
            headers = {"x-amz-copy-source": "/copies/big", "x-amz-content-sha256": hashlib.sha256(b"").hexdigest()}
            request = AWSRequest(method="PUT", url=url, data=b"", headers=headers)
            SigV4Auth(Credentials(ROOT_USER, ROOT_PASSWORD), "s3", "us-east-1").add_auth(request)
            prepared = request.prepare()
            head = f"PUT /copies/copy-{n} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Length: 0\r\n"
            head += "".join(f"{name}: {value}\r\n" for name, value in prepared.headers.items() if name.lower() not in ("host", "content-length"))
            return (head + "\r\n").encode()

        copies = []
        for n in range(2):
            sock = _connect(server.port)
            sock.sendall(copy_request(n))
            copies.append(sock)
        time.sleep(0.2)  # both heads read (a reset before would drop them): the copies run for a second or more
        for sock in copies:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # reset, as a client that gives up at once
        late = _connect(server.port)
        late.sendall(b"GET /floe/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _closed_by_server(late, 2.0), "a third connection was served while two copies of reset connections ran"
        late.close()
        # Once the copies end, their places come back.
        deadline = time.time() + 60
        while True:
            try:
                if requests.get(f"{server.endpoint}/floe/health/live", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.time() < deadline, "the connection limit did not come back after the copies ended"
            time.sleep(0.2)
    finally:
        server.stop()
        server.cleanup()


def _blob_descriptors(server: FloeServer) -> int:
    """The server's open descriptors of blob files (`objects/` under its data directory)."""
    objects = os.path.join(server.data_dir, "data")
    count = 0
    for fd in os.listdir(f"/proc/{server.process.pid}/fd"):
        try:
            target = os.readlink(f"/proc/{server.process.pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith(objects) and "/objects/" in target:
            count += 1
    return count


def test_gets_of_a_multipart_object_hold_few_descriptors_each():
    """A GET opened every part blob of a multipart object before sending a byte: 200 GETs of a
    100-part object held 20,000 descriptors, the whole limit here, and then every accept, upload
    and open failed. A GET now holds the blob it is sending (and at most three duplicates being
    sent or read ahead), the parts it has not reached are only pinned against deletion; and the
    body sent is still the whole object, part after part."""
    import socket

    parts, readers = 12, 12
    server = new_server()
    held = []
    try:
        s3 = server.boto3()
        s3.create_bucket(Bucket="parts")
        upload = s3.create_multipart_upload(Bucket="parts", Key="big")["UploadId"]
        digest, etags = hashlib.md5(), []
        for number in range(1, parts + 1):
            data = bytes([number]) * (5 << 20)
            digest.update(data)
            etags.append(s3.upload_part(Bucket="parts", Key="big", UploadId=upload, PartNumber=number, Body=data)["ETag"])
        s3.complete_multipart_upload(
            Bucket="parts", Key="big", UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})
        s3.close()
        url = urllib.parse.urlsplit(server.presign("GET", "parts", "big"))
        request = f"GET {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode()
        for _ in range(readers):
            sock = socket.socket()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)  # the body stalls early
            sock.settimeout(30)
            sock.connect(("127.0.0.1", server.port))
            sock.sendall(request)
            assert sock.recv(12).startswith(b"HTTP/1.1 200")
            held.append(sock)
        time.sleep(1.0)  # every GET has opened its body and is waiting on its socket
        descriptors = _blob_descriptors(server)
        assert descriptors <= readers * 4, f"{descriptors} blob descriptors for {readers} GETs of a {parts}-part object"
        # One of them read to its end is the whole object.
        sock, received, body = held[0], b"", hashlib.md5()
        while b"\r\n\r\n" not in received:
            received += sock.recv(65536)
        head, rest = received.split(b"\r\n\r\n", 1)
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
        assert length == parts * (5 << 20)
        body.update(rest)
        got = len(rest)
        while got < length:
            chunk = sock.recv(1 << 20)
            assert chunk, f"connection closed after {got} of {length} bytes"
            body.update(chunk)
            got += len(chunk)
        assert body.hexdigest() == digest.hexdigest()
    finally:
        for sock in held:
            sock.close()
        server.stop()
        server.cleanup()
