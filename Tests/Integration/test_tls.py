"""Both listeners over TLS with a certificate from a CA the test makes: aws-cli and boto3 with
the CA bundle (boto3 then sends aws-chunked bodies with a CRC trailer, as it does over HTTPS),
pyiceberg over https, and plain HTTP refused cleanly."""
import base64
import os
import socket
import subprocess
import zlib

import pytest
import requests

from floe_harness import ROOT_PASSWORD, ROOT_USER, new_server


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    d = tmp_path_factory.mktemp("tls")
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Floe Test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
                               "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
            "-days", "2", "-extfile", "ext.cnf")
    return d


@pytest.fixture(scope="module")
def tls_server(certificates):
    instance = new_server(ca_bundle=str(certificates / "ca.pem"), FLOE_TLS_CERT=str(certificates / "server.pem"),
                          FLOE_TLS_KEY=str(certificates / "server.key"))
    yield instance
    instance.cleanup()


def test_boto3_over_tls_uses_checksum_trailers(tls_server):
    s3 = tls_server.boto3()
    s3.create_bucket(Bucket="secure")
    sent = {}
    s3.meta.events.register("before-send.s3.PutObject", lambda request, **_: sent.update({k.lower(): v for k, v in request.headers.items()}))
    body = os.urandom(3 * 1024 * 1024 + 5)
    put = s3.put_object(Bucket="secure", Key="data.bin", Body=body)
    assert sent["x-amz-content-sha256"] in ("STREAMING-UNSIGNED-PAYLOAD-TRAILER", b"STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    assert sent["x-amz-trailer"] in ("x-amz-checksum-crc32", b"x-amz-checksum-crc32")
    assert put["ChecksumCRC32"] == base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    assert s3.get_object(Bucket="secure", Key="data.bin")["Body"].read() == body


def test_aws_cli_with_ca_bundle(tls_server, tmp_path):
    local = tmp_path / "f.txt"
    local.write_bytes(b"over tls\n" * 1000)
    env = tls_server.cli_env() | {"AWS_CA_BUNDLE": str(tls_server.ca_bundle)}
    def aws(*args):
        result = subprocess.run(["aws", "--endpoint-url", tls_server.endpoint, *args], env=env, capture_output=True, timeout=120)
        assert result.returncode == 0, result.stderr.decode()
        return result
    aws("s3", "mb", "s3://cli-tls")
    aws("s3", "cp", str(local), "s3://cli-tls/f.txt")
    assert aws("s3", "cp", "s3://cli-tls/f.txt", "-").stdout == local.read_bytes()


def test_pyiceberg_over_https(tls_server, monkeypatch):
    import pyarrow as pa
    # pyiceberg takes the CA bundle from its `ssl.cabundle` property for catalog calls; its token
    # request goes through requests' own lookup, which honours REQUESTS_CA_BUNDLE.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_server.ca_bundle)
    from pyiceberg.catalog import load_catalog
    catalog = load_catalog("tls", **{
        "type": "rest", "uri": tls_server.catalog_endpoint, "credential": f"{ROOT_USER}:{ROOT_PASSWORD}", "warehouse": "lakehouse",
        "ssl": {"cabundle": tls_server.ca_bundle},
        "s3.endpoint": tls_server.endpoint, "s3.access-key-id": ROOT_USER, "s3.secret-access-key": ROOT_PASSWORD,
        "s3.region": "us-east-1", "s3.path-style-access": "true", "s3.ca-bundle": tls_server.ca_bundle,
    })
    assert ("raw",) in catalog.list_namespaces()
    table = catalog.create_table("bronze.tls_table", schema=pa.schema([("id", pa.int64())]))
    assert table.metadata_location.startswith("s3://lakehouse/bronze/tls_table/metadata/")


def test_plain_http_to_tls_listener_fails_cleanly(tls_server):
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{tls_server.port}/floe/health/live", timeout=5)
    # The listener is still serving TLS afterwards.
    assert requests.get(f"{tls_server.endpoint}/floe/health/live", verify=tls_server.ca_bundle).status_code == 200
    with socket.create_connection(("127.0.0.1", tls_server.catalog_port), timeout=5) as sock:
        sock.sendall(b"GET /v1/config HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(5)
        try:
            data = sock.recv(100)
        except (ConnectionResetError, socket.timeout):
            data = b""
        assert not data.startswith(b"HTTP/1.1 200")


def test_sighup_reloads_the_certificate(certificates, tmp_path):
    import shutil
    import signal
    import ssl
    import time
    for name in ["server.pem", "server.key"]:
        shutil.copy(certificates / name, tmp_path / name)
    server = new_server(ca_bundle=str(certificates / "ca.pem"), FLOE_TLS_CERT=str(tmp_path / "server.pem"), FLOE_TLS_KEY=str(tmp_path / "server.key"))
    try:
        def served():
            return ssl.get_server_certificate(("127.0.0.1", server.port))
        def openssl(*args):
            subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=tmp_path)
        first = served()
        assert first.strip() == (certificates / "server.pem").read_text().strip()

        # A renewed certificate (new key, same CA) replaces the files; SIGHUP makes new connections use it.
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "renewed.key", "-out", "renewed.csr", "-subj", "/CN=127.0.0.1")
        openssl("x509", "-req", "-in", "renewed.csr", "-CA", str(certificates / "ca.pem"), "-CAkey", str(certificates / "ca.key"),
                "-CAcreateserial", "-out", "renewed.pem", "-days", "2", "-extfile", str(certificates / "ext.cnf"))
        shutil.copy(tmp_path / "renewed.pem", tmp_path / "server.pem")
        shutil.copy(tmp_path / "renewed.key", tmp_path / "server.key")
        server.process.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while served() == first and time.time() < deadline:
            time.sleep(0.1)
        assert served().strip() == (tmp_path / "renewed.pem").read_text().strip()
        assert requests.get(f"{server.endpoint}/floe/health/ready", verify=server.ca_bundle, timeout=5).status_code == 200
        assert requests.get(f"{server.catalog_endpoint}/floe/health/live", verify=server.ca_bundle, timeout=5).status_code == 200

        # A broken file is refused: the server keeps serving the last good certificate.
        (tmp_path / "server.pem").write_text("not a certificate\n")
        server.process.send_signal(signal.SIGHUP)
        time.sleep(1)
        assert server.process.poll() is None
        assert served().strip() == (tmp_path / "renewed.pem").read_text().strip()
        assert "TLS reload failed" in server.log()
    finally:
        server.cleanup()


def test_secure_transport_condition_holds_over_tls(tls_server):
    import json
    import uuid
    import boto3
    from botocore.config import Config
    bucket = "st-" + uuid.uuid4().hex[:8]
    root = tls_server.boto3()
    root.create_bucket(Bucket=bucket)
    root.put_object(Bucket=bucket, Key="k", Body=b"v")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"],
                                                      "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}
    def admin(method, path, body):
        return tls_server.signed(method, f"/floe/admin/v1/{path}", body=json.dumps(body).encode())
    assert admin("PUT", "policies/tls-only", policy).status_code == 204
    assert admin("PUT", "users/tlsuser", {"policies": ["tls-only"]}).status_code == 200
    key = admin("POST", "users/tlsuser/keys", {}).json()
    user = boto3.client("s3", endpoint_url=tls_server.endpoint, aws_access_key_id=key["accessKey"], aws_secret_access_key=key["secretKey"],
                        region_name="us-east-1", verify=tls_server.ca_bundle, config=Config(s3={"addressing_style": "path"}))
    assert user.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
    user.delete_object(Bucket=bucket, Key="k")


def test_console_over_tls_marks_its_cookies_secure_and_reaches_the_apis(tls_server):
    import re
    base = tls_server.console_endpoint
    s = requests.Session()
    s.trust_env = False  # a CA bundle from the environment would override the session's
    s.verify = tls_server.ca_bundle
    page = s.get(base + "/signin")
    token = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)
    signed = s.post(base + "/signin", data={"_csrf": token, "accessKey": ROOT_USER, "secretKey": ROOT_PASSWORD}, allow_redirects=False)
    assert signed.status_code == 303
    session_cookie = signed.headers["Set-Cookie"]
    # Under TLS the name carries the __Host- prefix: no page can plant a narrower-path copy beside it.
    assert session_cookie.startswith("__Host-floe_console=") and "; Secure" in session_cookie and "SameSite=Strict" in session_cookie
    tls_server.boto3().create_bucket(Bucket="console-tls")
    listing = s.get(base + "/buckets")
    assert listing.status_code == 200 and "console-tls" in listing.text
    # Plain HTTP to the console's TLS listener gets nothing.
    with pytest.raises(requests.RequestException):
        requests.get(base.replace("https://", "http://") + "/signin", timeout=5)
