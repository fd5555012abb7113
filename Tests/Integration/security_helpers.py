"""Helpers the security suites share: S3 outcomes, Iceberg refusals, raw response heads."""
import json
import socket
import time
import uuid

from botocore.exceptions import ClientError

#: The Iceberg ErrorModel type that belongs to each refusal status.
ERROR_TYPE = {400: "BadRequestException", 403: "ForbiddenException", 409: "AlreadyExistsException"}


def s3_error(call):
    """The S3 error code a call fails with, or None when it succeeds."""
    try:
        call()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def s3_status(call):
    """The HTTP status of an S3 call: 200 when it succeeds."""
    try:
        call()
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"]
    return 200


def s3_outcome(call):
    """(HTTP status, S3 error code) of a call: (200, None) when it succeeds."""
    try:
        call()
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
    return 200, None


def client_for(server, key):
    """A boto3 S3 client for an access key `make_user` returned."""
    import boto3
    from botocore.config import Config
    from floe_harness import REGION
    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=key["accessKey"], aws_secret_access_key=key["secretKey"],
                        region_name=REGION, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def floe_cli(server, tmp_path):
    """Runs the `floe` CLI with alias `t` for `server` and a private config directory; asserts success unless check=False."""
    import os
    import subprocess
    from floe_harness import ROOT_PASSWORD, ROOT_USER
    binary = os.environ.get("FLOE_BINARY") or os.path.join(os.path.dirname(__file__), "../../.build/debug/floe")
    env = dict(os.environ, FLOE_CONFIG_DIR=str(tmp_path / "config"),
               FLOE_ALIAS_T=f"{server.endpoint},{ROOT_USER},{ROOT_PASSWORD},{server.catalog_endpoint}")

    def run(*args, check=True):
        result = subprocess.run([binary, *args], env=env, capture_output=True, timeout=120)
        if check:
            assert result.returncode == 0, result.stderr.decode() + result.stdout.decode()
        return result
    return run


def refusal_problem(response, what, allowed=(400, 403)):
    """None when the catalog refused the request with the ErrorModel that belongs to the status, else what went wrong."""
    if response.status_code not in allowed:
        return f"{what}: expected {allowed}, got {response.status_code} {response.text[:200]}"
    try:
        kind = response.json()["error"]["type"]
    except (ValueError, KeyError, TypeError):
        return f"{what}: not an Iceberg ErrorModel: {response.text[:200]}"
    if kind != ERROR_TYPE[response.status_code]:
        return f"{what}: wrong error type: {response.text[:200]}"
    return None


def read_head(sock, deadline: float) -> bytes:
    """Reads from `sock` until a whole response head arrived, the peer closes, or `deadline` (monotonic)."""
    data = b""
    while b"\r\n\r\n" not in data and time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, OSError):
            break
        if not chunk:
            break
        data += chunk
    return data


def admin(server, method, path, body=None):
    """An admin API call as root that must succeed."""
    data = json.dumps(body).encode() if body is not None else b""
    response = server.signed(method, f"/floe/admin/v1/{path}", body=data)
    assert response.status_code < 300, f"admin {method} {path}: {response.status_code} {response.text}"
    return response


def make_user(server, tag, statements):
    """A user whose only policy is `statements`, and one access key of it (`user` holds its name)."""
    name = f"sec-{tag}-{uuid.uuid4().hex[:8]}"
    admin(server, "PUT", f"policies/{name}", {"Version": "2012-10-17", "Statement": statements})
    admin(server, "PUT", f"users/{name}", {"policies": [name]})
    key = admin(server, "POST", f"users/{name}/keys").json()
    key["user"] = name
    return key


def user_with_policies(server, policies, tag="u"):
    """A new user holding the named policies (builtin or created), its boto3 client, canonical id and name."""
    import boto3
    from botocore.config import Config
    from floe_harness import REGION
    name = f"{tag}-{uuid.uuid4().hex[:8]}"
    admin(server, "PUT", f"users/{name}", {"policies": list(policies)})
    key = admin(server, "POST", f"users/{name}/keys").json()
    client = boto3.client(
        "s3", endpoint_url=server.endpoint, aws_access_key_id=key["accessKey"], aws_secret_access_key=key["secretKey"],
        region_name=REGION, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    import hashlib
    return client, hashlib.sha256(f"floe:{name}".encode()).hexdigest(), name
