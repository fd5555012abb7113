"""The server process: health, metrics, request log, graceful shutdown, generated root credentials."""
import http.client
import os
import urllib.parse
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests

from floe_harness import FloeServer, free_port, new_server

BINARY = os.environ.get("FLOE_BINARY") or os.path.join(os.path.dirname(__file__), "../../.build/debug/floe")


def test_health_and_metrics(server, s3, bucket):
    assert requests.get(server.endpoint + "/floe/health/live").status_code == 200
    assert requests.get(server.endpoint + "/floe/health/ready").status_code == 200
    s3.put_object(Bucket=bucket, Key="m", Body=b"12345")
    s3.get_object(Bucket=bucket, Key="m")["Body"].read()
    text = requests.get(server.endpoint + "/floe/metrics").text
    assert re.search(r'floe_s3_requests_total\{operation="PutObject",status="200"\} \d+', text)
    assert re.search(r'floe_s3_request_duration_seconds_bucket\{operation="GetObject",le="\+Inf"\} \d+', text)
    assert re.search(r"floe_s3_received_bytes_total [1-9]\d*", text)
    assert re.search(r"floe_objects [1-9]", text) and re.search(r"floe_buckets [1-9]", text)
    log = server.log()
    assert re.search(rf"bucket={bucket} .*key=m .*operation=PutObject .*status=200", log)
    assert "floe-test-secret-1234" not in log
    # A name from the request cannot forge a line or a field of the log, unauthenticated or not.
    requests.get(server.endpoint + "/LOGB%0A2026-12-04T00:00:00+0000%20info%20floe:%20FORGEDLINE/k")
    s3.put_object(Bucket=bucket, Key="a status=999 remote=6.6.6.6", Body=b"")
    log = server.log()
    assert not any(line.startswith("2026-12-04T00:00:00+0000") for line in log.splitlines())
    assert 'bucket="LOGB\\n2026-12-04T00:00:00+0000 info floe: FORGEDLINE"' in log
    assert 'key="a status=999 remote=6.6.6.6"' in log
    assert "key=a status=999" not in log
    # Nor can it end a line for a reader that splits on Unicode line ends, or reorder the line on
    # a terminal: those characters are written as escapes.
    requests.get(server.endpoint + "/LOGU%E2%80%A8x%C2%85y%E2%80%AEz/k")
    log = server.log()
    assert 'bucket="LOGU\\u{2028}x\\u{85}y\\u{202E}z"' in log
    assert not any(c in log for c in "\u2028\u2029\u0085\u202e")


def test_generated_root_credentials_are_printed_once():
    data = tempfile.mkdtemp(prefix="floe-root-")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLOE_ROOT")}
        binary = os.environ.get("FLOE_BINARY")
        outputs = []
        for _ in range(2):
            port = free_port()
            process = subprocess.Popen([binary, "server", "--data", data + "/d", "--no-console", "--s3-address", f"127.0.0.1:{port}",
                                        "--catalog-address", f"127.0.0.1:{free_port()}"],
                                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/floe/health/ready", timeout=1).ok:
                        break
                except requests.RequestException:
                    time.sleep(0.1)
            process.send_signal(signal.SIGTERM)
            out, _ = process.communicate(timeout=30)
            assert process.returncode == 0
            outputs.append(out.decode())
        user = re.search(r"FLOE_ROOT_USER=(\S+)", outputs[0]).group(1)
        password = re.search(r"FLOE_ROOT_PASSWORD=(\S+)", outputs[0]).group(1)
        assert len(user) == 20 and len(password) == 40
        assert "FLOE_ROOT_PASSWORD" not in outputs[1] and password not in outputs[1]
        stored = data + "/d/meta/root-credentials"
        assert oct(os.stat(stored).st_mode & 0o777) == "0o600"
        import boto3
        s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}", aws_access_key_id=user, aws_secret_access_key=password, region_name="us-east-1")
        process = subprocess.Popen([binary, "server", "--data", data + "/d", "--no-console", "--s3-address", f"127.0.0.1:{port}",
                                    "--catalog-address", f"127.0.0.1:{free_port()}"], stdout=subprocess.DEVNULL, env=env)
        try:
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    s3.list_buckets()
                    break
                except Exception:
                    time.sleep(0.1)
            assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["lakehouse"]
        finally:
            process.terminate()
            process.wait(timeout=30)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def test_sigterm_finishes_in_flight_requests():
    instance = new_server()
    try:
        s3 = instance.boto3()
        s3.create_bucket(Bucket="drain")
        payload = os.urandom(8 * 1024 * 1024)
        results = {}

        def slow_upload():
            # Send the body slowly so the request is in flight when SIGTERM arrives.
            url = urllib.parse.urlsplit(instance.presign("PUT", "drain", "inflight"))
            connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=60)
            connection.putrequest("PUT", url.path + "?" + url.query)
            connection.putheader("Content-Length", str(len(payload)))
            connection.endheaders()
            for i in range(0, len(payload), 1024 * 1024):
                connection.send(payload[i:i + 1024 * 1024])
                time.sleep(0.15)
            results["status"] = connection.getresponse().status

        thread = threading.Thread(target=slow_upload)
        thread.start()
        time.sleep(0.4)
        instance.process.send_signal(signal.SIGTERM)
        thread.join(timeout=60)
        instance.process.wait(timeout=60)
        assert instance.process.returncode == 0
        assert results.get("status") == 200
        instance.process = None
        instance.port = 0
        instance.start()
        assert instance.boto3().get_object(Bucket="drain", Key="inflight")["Body"].read() == payload
    finally:
        instance.cleanup()


def test_virtual_host_style():
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    instance = new_server(FLOE_DOMAIN="s3.floe.test")
    try:
        instance.boto3().create_bucket(Bucket="vhost")

        def virtual(method, key, body=b""):
            # Sign for bucket.<domain> as a virtual-host client would, then deliver to loopback.
            host = f"vhost.s3.floe.test:{instance.port}"
            request = AWSRequest(method=method, url=f"http://{host}/{key}", data=body, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
            SigV4Auth(Credentials("floetestroot", "floe-test-secret-1234"), "s3", "us-east-1").add_auth(request)
            headers = dict(request.headers)
            headers["Host"] = host
            return requests.request(method, f"{instance.endpoint}/{key}", headers=headers, data=body)

        assert virtual("PUT", "dir/file.txt", b"virtual").status_code == 200
        assert virtual("GET", "dir/file.txt").content == b"virtual"
        assert instance.boto3().get_object(Bucket="vhost", Key="dir/file.txt")["Body"].read() == b"virtual"
        assert b"<Key>dir/file.txt</Key>" in virtual("GET", "").content
    finally:
        instance.cleanup()


def test_sighup_without_tls_does_not_stop_the_server():
    instance = new_server()
    try:
        instance.process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert instance.process.poll() is None
        assert requests.get(f"{instance.endpoint}/floe/health/ready", timeout=5).status_code == 200
        assert "nothing to reload" in instance.log()
    finally:
        instance.cleanup()


def test_a_listener_that_cannot_bind_ends_the_server_with_the_error():
    """The console's address is taken: the server ends with status 1 and the bind error. It used
    to crash instead (AsyncHTTPClient's check for clients dropped without shutdown stopped the
    process), after its S3 listener had already answered a readiness probe. Then it hung now and
    then: the service group's cancellation after the failed bind deadlocked in a dependency
    (hence ListenerPreflight), in about one start of seven with both cores busy. So this starts it
    twelve times beside two processes that keep the cores busy (each bounded in time)."""
    import socket
    busy = [subprocess.Popen([sys.executable, "-c", "import time\nend = time.time() + 90\nwhile time.time() < end: pass"])
            for _ in range(2)]
    try:
        for attempt in range(12):
            with socket.socket() as taken, tempfile.TemporaryDirectory() as data:
                taken.bind(("127.0.0.1", 0))
                taken.listen()
                env = dict(os.environ, FLOE_ROOT_USER="floetestroot", FLOE_ROOT_PASSWORD="floe-test-secret-1234")
                run = subprocess.run(
                    [BINARY, "server", "--data", os.path.join(data, "data"), "--s3-address", f"127.0.0.1:{free_port()}",
                     "--catalog-address", f"127.0.0.1:{free_port()}", "--console-address", f"127.0.0.1:{taken.getsockname()[1]}"],
                    env=env, capture_output=True, text=True, timeout=30)
            output = run.stdout + run.stderr
            assert run.returncode == 1, f"start {attempt}: exit status {run.returncode}:\n{output[-3000:]}"
            assert "Address already in use" in output and "crashed" not in output, output[-3000:]
    finally:
        for process in busy:
            process.kill()
            process.wait()


def test_two_listeners_given_one_address_end_the_server_with_the_error():
    """The S3 API and the catalog on one port: the second bind fails before any service starts
    (ListenerPreflight holds every address until the last is bound), so the server ends with
    status 1 and the bind error instead of going down the service group's cancellation. It
    fails before it writes anything: no generated root credentials, no index, no buckets."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        env = dict(os.environ)
        env.pop("FLOE_ROOT_USER", None)
        env.pop("FLOE_ROOT_PASSWORD", None)
        run = subprocess.run(
            [BINARY, "server", "--data", os.path.join(data, "data"), "--no-console",
             "--s3-address", f"127.0.0.1:{port}", "--catalog-address", f"127.0.0.1:{port}"],
            env=env, capture_output=True, text=True, timeout=30)
        written = sorted(os.listdir(os.path.join(data, "data", "meta")))
    assert written == [], f"a start that could not listen wrote {written}"
    output = run.stdout + run.stderr
    assert run.returncode == 1, f"exit status {run.returncode}:\n{output[-3000:]}"
    assert "Address already in use" in output and "listening on" not in output, output[-3000:]
    assert f"cannot listen on 127.0.0.1:{port}" in output, output[-3000:]
