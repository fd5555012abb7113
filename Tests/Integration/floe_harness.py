"""Starts the real `floe` binary on a free loopback port and talks to it as clients do."""
import hashlib
import hmac
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ROOT_USER = "floetestroot"
ROOT_PASSWORD = "floe-test-secret-1234"
REGION = "us-east-1"


def prepared_blob_file(path: str) -> bool:
    """An empty file of mode 0600 under `objects/`: made ahead for an upload to come
    (PreparedBlobFiles), not a blob (a blob's mode is 0644, and a blob may be empty)."""
    info = os.stat(path)
    return info.st_size == 0 and info.st_mode & 0o777 == 0o600


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class FloeServer:
    data_dir: str
    port: int = 0
    catalog_port: int = 0
    console_port: int = 0
    process: subprocess.Popen | None = None
    log_path: str = ""
    env: dict = field(default_factory=dict)
    owns_data: bool = True
    #: CA bundle that signed the server certificate when the server runs with TLS.
    ca_bundle: str | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.ca_bundle else "http"

    @property
    def endpoint(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    @property
    def console_endpoint(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.console_port}"

    @property
    def catalog_endpoint(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.catalog_port}"

    def start(self, timeout: float = 30.0) -> "FloeServer":
        binary = os.environ.get("FLOE_BINARY") or os.path.join(os.path.dirname(__file__), "../../.build/debug/floe")
        # Three different ports: two calls can be handed the same free port, and a server whose
        # console port is its S3 port answers the readiness probe and then ends.
        while not self.port or self.port in (self.catalog_port, self.console_port):
            self.port = free_port()
        while not self.catalog_port or self.catalog_port in (self.port, self.console_port):
            self.catalog_port = free_port()
        while not self.console_port or self.console_port in (self.port, self.catalog_port):
            self.console_port = free_port()
        self.log_path = os.path.join(self.data_dir, f"server-{self.port}-{int(time.time() * 1000)}.log")
        env = dict(os.environ)
        env.update({"FLOE_ROOT_USER": ROOT_USER, "FLOE_ROOT_PASSWORD": ROOT_PASSWORD})
        env.update(self.env)
        log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [binary, "server", "--data", os.path.join(self.data_dir, "data"), "--s3-address", f"127.0.0.1:{self.port}",
             "--catalog-address", f"127.0.0.1:{self.catalog_port}", "--console-address", f"127.0.0.1:{self.console_port}"],
            stdout=log, stderr=subprocess.STDOUT, env=env,
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"floe exited early with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(f"{self.endpoint}/floe/health/ready", timeout=1, verify=self.ca_bundle or True).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"floe did not become ready:\n{self.log()}")

    def stop(self, sig=signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        code = self.process.returncode
        self.process = None
        return code

    def kill9(self):
        self.stop(sig=signal.SIGKILL)

    def log(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-20000:]
        except OSError:
            return ""

    def cleanup(self):
        self.stop()
        if self.owns_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    # clients

    def boto3(self, **config):
        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=ROOT_USER, aws_secret_access_key=ROOT_PASSWORD,
            region_name=REGION, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
            verify=self.ca_bundle if self.ca_bundle else None,
        )

    def cli_env(self) -> dict:
        env = dict(os.environ)
        env.update({
            "AWS_ACCESS_KEY_ID": ROOT_USER, "AWS_SECRET_ACCESS_KEY": ROOT_PASSWORD, "AWS_DEFAULT_REGION": REGION,
            "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        })
        return env

    def aws(self, *args, check=True, input=None) -> subprocess.CompletedProcess:
        result = subprocess.run(["aws", "--endpoint-url", self.endpoint, *args], env=self.cli_env(), capture_output=True, input=input, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"aws {' '.join(args)} failed ({result.returncode}): {result.stderr.decode()}")
        return result

    def s3cmd(self, *args, check=True) -> subprocess.CompletedProcess:
        config = os.path.join(self.data_dir, "s3cfg")
        if not os.path.exists(config):
            with open(config, "w") as f:
                f.write(
                    "[default]\n"
                    f"access_key = {ROOT_USER}\nsecret_key = {ROOT_PASSWORD}\n"
                    f"host_base = 127.0.0.1:{self.port}\nhost_bucket = 127.0.0.1:{self.port}\n"
                    f"bucket_location = {REGION}\nuse_https = False\nsignature_v2 = False\n"
                )
        result = subprocess.run(["s3cmd", "-c", config, *args], capture_output=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"s3cmd {' '.join(args)} failed ({result.returncode}): {result.stderr.decode()}{result.stdout.decode()}")
        return result

    # raw signed requests, for the cases clients will not produce

    def signed(self, method: str, path: str, body: bytes = b"", headers: dict | None = None, params: dict | None = None,
               payload_hash: str | None = None, secret: str = ROOT_PASSWORD, access_key: str = ROOT_USER):
        """Sends a SigV4-signed request with botocore's signer; path is the decoded path."""
        url = self.endpoint + urllib.parse.quote(path, safe="/~")
        if params:
            url += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe="~")
        headers = dict(headers or {})
        headers["x-amz-content-sha256"] = payload_hash or hashlib.sha256(body).hexdigest()
        request = AWSRequest(method=method, url=url, data=body, headers=headers)
        SigV4Auth(Credentials(access_key, secret), "s3", REGION).add_auth(request)
        prepared = request.prepare()
        return requests.request(method, prepared.url, headers=dict(prepared.headers), data=body, timeout=60, verify=self.ca_bundle or True)

    def presign(self, method: str, bucket: str, key: str, expires: int = 300) -> str:
        operation = {"GET": "get_object", "PUT": "put_object"}[method]
        return self.boto3(signature_version="s3v4").generate_presigned_url(operation, Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires)


def new_server(ca_bundle: str | None = None, **env) -> FloeServer:
    return FloeServer(data_dir=tempfile.mkdtemp(prefix="floe-it-"), env=env, ca_bundle=ca_bundle).start()


def error_code(response) -> str:
    """The <Code> of an S3 XML error body."""
    import xml.etree.ElementTree as ET
    return ET.fromstring(response.content).findtext("Code")


# --- a client-side implementation of AWS's chunked signing (STREAMING-AWS4-HMAC-SHA256-PAYLOAD) ---

def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signing_key(secret: str, date: str, region: str = REGION, service: str = "s3") -> bytes:
    return _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode(), date), region), service), "aws4_request")


def signed_chunked_put(server: FloeServer, bucket: str, key: str, chunks: list[bytes], trailer: tuple[str, str] | None = None,
                       tamper_chunk: int | None = None, decoded_length: int | None = None):
    """Uploads `chunks` as a signed aws-chunked body; optionally with a signed checksum trailer."""
    now = datetime.now(timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    scope = f"{date}/{REGION}/s3/aws4_request"
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER" if trailer else "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
    path = urllib.parse.quote(f"/{bucket}/{key}", safe="/~")
    headers = {
        "host": f"127.0.0.1:{server.port}",
        "content-encoding": "aws-chunked",
        "x-amz-content-sha256": mode,
        "x-amz-date": amz_date,
        "x-amz-decoded-content-length": str(decoded_length if decoded_length is not None else sum(map(len, chunks))),
    }
    if trailer:
        headers["x-amz-trailer"] = trailer[0]
    signed_names = sorted(headers)
    canonical = "\n".join([
        "PUT", path, "", "".join(f"{n}:{headers[n]}\n" for n in signed_names), ";".join(signed_names), mode,
    ])
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key_bytes = signing_key(ROOT_PASSWORD, date)
    seed = hmac.new(key_bytes, string_to_sign.encode(), hashlib.sha256).hexdigest()
    previous = seed
    body = b""
    empty = hashlib.sha256(b"").hexdigest()
    for index, chunk in enumerate(chunks + [b""]):
        to_sign = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, previous, empty, hashlib.sha256(chunk).hexdigest()])
        signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        previous = signature
        sent = chunk
        if tamper_chunk == index and chunk:
            sent = bytes([chunk[0] ^ 1]) + chunk[1:]
        body += f"{len(chunk):x};chunk-signature={signature}\r\n".encode() + sent + b"\r\n"
    if trailer:
        body = body[:-2]  # the final chunk's CRLF is followed by the trailer section
        trailer_line = f"{trailer[0]}:{trailer[1]}"
        to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", amz_date, scope, previous, hashlib.sha256((trailer_line + "\n").encode()).hexdigest()])
        trailer_signature = hmac.new(key_bytes, to_sign.encode(), hashlib.sha256).hexdigest()
        body += f"{trailer_line}\r\nx-amz-trailer-signature:{trailer_signature}\r\n\r\n".encode()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={ROOT_USER}/{scope}, SignedHeaders={';'.join(signed_names)}, Signature={seed}"
    )
    send = {k: v for k, v in headers.items() if k != "host"}
    return requests.put(server.endpoint + path, data=body, headers=send, timeout=60)
