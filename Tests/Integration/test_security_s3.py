"""Regression tests for the S3-side defects of issue #10 (security and integrity).

Each test names the defect it pins (#1, #3, #4, #9, #10, #11, #12, #13). Requests that clients
will not produce (unsigned extra headers, NUL bytes in names, oversized trailers, Expect before
authentication) are built by hand and signed with botocore's SigV4 signer."""
import base64
import concurrent.futures
import hashlib
import http.client
import json
import os
import re
import socket
import threading
import time
import uuid
import zlib

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from security_helpers import read_head
from floe_harness import REGION, ROOT_PASSWORD, ROOT_USER, error_code, new_server

SECRET = b"top secret payroll bytes"


# --- helpers --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def srv():
    instance = new_server()
    yield instance
    instance.cleanup()


@pytest.fixture(scope="module")
def root(srv):
    return srv.boto3()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def new_bucket(s3, prefix: str = "sec", versioned: bool = False) -> str:
    name = unique(prefix)
    s3.create_bucket(Bucket=name)
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def admin(server, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    response = server.signed(method, f"/floe/admin/v1/{path}", body=data)
    assert response.status_code < 300, (method, path, response.status_code, response.text)
    return response


def client_for(server, key):
    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=key["accessKey"], aws_secret_access_key=key["secretKey"],
                        region_name=REGION, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def make_user(server, statements):
    """A user whose only policy is `statements`; answers (key, boto3 client)."""
    name = unique("u")
    admin(server, "PUT", f"policies/{name}", {"Version": "2012-10-17", "Statement": statements})
    admin(server, "PUT", f"users/{name}", {"policies": [name]})
    key = admin(server, "POST", f"users/{name}/keys").json()
    return key, client_for(server, key)


def code_of(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def exists(s3, bucket, key, version_id=None) -> bool:
    try:
        if version_id:
            s3.head_object(Bucket=bucket, Key=key, VersionId=version_id)
        else:
            s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as e:
        if e.response["ResponseMetadata"]["HTTPStatusCode"] == 404:
            return False
        raise


class RawPathSigV4(SigV4Auth):
    """botocore's SigV4 signer with the path signed exactly as it goes on the wire: S3 neither
    normalises nor re-encodes it (plain SigV4Auth would encode `%00` a second time)."""

    def _normalize_url_path(self, path):
        return path


def signed_headers(server, method, target, headers=None, payload_hash="UNSIGNED-PAYLOAD", access_key=ROOT_USER, secret=ROOT_PASSWORD):
    """Headers (Host and Authorization included) that sign `target` (`/bucket/key?query`, already
    percent-encoded as it will be sent). Every header passed in is signed."""
    headers = dict(headers or {})
    headers["X-Amz-Content-SHA256"] = payload_hash
    request = AWSRequest(method=method, url=server.endpoint + target, headers=headers)
    RawPathSigV4(Credentials(access_key, secret), "s3", REGION).add_auth(request)
    out = dict(request.headers.items())
    out["Host"] = f"127.0.0.1:{server.port}"
    return out


class Reply:
    def __init__(self, status, content, headers):
        self.status_code, self.content, self.headers = status, content, headers

    def code(self):
        """The error's <Code>, read without an XML parser: an error about a name with a control
        character may echo it as a character reference XML 1.0 parsers refuse."""
        found = re.search(rb"<Code>([^<]*)</Code>", self.content)
        return found.group(1).decode() if found else None


def send(server, method, target, headers, body=b"") -> Reply:
    """Sends a request with the target exactly as given (http.client does not re-quote it)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return Reply(response.status, response.read(), dict(response.getheaders()))
    finally:
        connection.close()


def raw_signed(server, method, target, body=b"", headers=None, unsigned=None, access_key=ROOT_USER, secret=ROOT_PASSWORD) -> Reply:
    """A signed request; `unsigned` headers are added after signing."""
    payload = hashlib.sha256(body).hexdigest()
    out = signed_headers(server, method, target, headers=headers, payload_hash=payload, access_key=access_key, secret=secret)
    out.update(unsigned or {})
    return send(server, method, target, out, body)


def read_http(sock, deadline: float, rate_bytes_per_s: float | None = None) -> bytes:
    """Reads from `sock` until the peer closes or `deadline`, at most at `rate` when given."""
    data = bytearray()
    start = time.monotonic()
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except OSError:
            break
        if not chunk:
            break
        data += chunk
        if rate_bytes_per_s:
            ahead = len(data) / rate_bytes_per_s - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(min(ahead, max(0.0, deadline - time.monotonic())))
    return bytes(data)


def status_of_raw(data: bytes) -> int:
    assert data.startswith(b"HTTP/1.1 "), data[:200]
    return int(data.split(b" ", 2)[1])


# --- #1 copy sources are authorized -------------------------------------------------------------

@pytest.fixture(scope="module")
def copy_world(srv, root):
    src = new_bucket(root, "src")
    dst = new_bucket(root, "dst")
    root.put_object(Bucket=src, Key="secret.txt", Body=SECRET)
    return src, dst


def test_copy_object_needs_get_object_on_the_source(srv, root, copy_world):
    """#1 CopyObject authorizes the copy source: s3:* on the destination bucket alone does not let a
    user copy (and so read) an object of another bucket."""
    src, dst = copy_world
    _, user = make_user(srv, [{"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{dst}", f"arn:aws:s3:::{dst}/*"]}])
    with pytest.raises(ClientError) as denied:
        user.get_object(Bucket=src, Key="secret.txt")
    assert code_of(denied) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        user.copy_object(Bucket=dst, Key="stolen", CopySource={"Bucket": src, "Key": "secret.txt"})
    assert code_of(e) == "AccessDenied"
    assert not exists(root, dst, "stolen"), "the copy was written although the source is not readable"
    # Within its own bucket the user still copies.
    user.put_object(Bucket=dst, Key="mine", Body=b"mine")
    user.copy_object(Bucket=dst, Key="mine-copy", CopySource={"Bucket": dst, "Key": "mine"})
    assert root.get_object(Bucket=dst, Key="mine-copy")["Body"].read() == b"mine"


def test_upload_part_copy_needs_get_object_on_the_source(srv, root, copy_world):
    """#1 UploadPartCopy authorizes the copy source like CopyObject."""
    src, dst = copy_world
    _, user = make_user(srv, [{"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{dst}", f"arn:aws:s3:::{dst}/*"]}])
    uid = user.create_multipart_upload(Bucket=dst, Key="assembled")["UploadId"]
    with pytest.raises(ClientError) as e:
        user.upload_part_copy(Bucket=dst, Key="assembled", UploadId=uid, PartNumber=1, CopySource={"Bucket": src, "Key": "secret.txt"})
    assert code_of(e) == "AccessDenied"
    assert root.list_parts(Bucket=dst, Key="assembled", UploadId=uid).get("Parts", []) == []
    user.abort_multipart_upload(Bucket=dst, Key="assembled", UploadId=uid)


def test_copy_source_is_judged_by_the_source_bucket_policy(srv, root):
    """#1 The source is evaluated with the SOURCE bucket's policy: its Deny stops a copy by a user
    whose identity policy allows GetObject everywhere."""
    src = new_bucket(root, "srcpol")
    dst = new_bucket(root, "dstpol")
    root.put_object(Bucket=src, Key="secret/doc", Body=SECRET)
    root.put_object(Bucket=src, Key="open/doc", Body=b"open")
    root.put_bucket_policy(Bucket=src, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{src}/secret/*"}]}))
    _, user = make_user(srv, [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"},
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{dst}/*"}])
    with pytest.raises(ClientError) as denied:
        user.get_object(Bucket=src, Key="secret/doc")
    assert code_of(denied) == "AccessDenied"
    user.copy_object(Bucket=dst, Key="open-copy", CopySource={"Bucket": src, "Key": "open/doc"})
    assert root.get_object(Bucket=dst, Key="open-copy")["Body"].read() == b"open"
    with pytest.raises(ClientError) as e:
        user.copy_object(Bucket=dst, Key="secret-copy", CopySource={"Bucket": src, "Key": "secret/doc"})
    assert code_of(e) == "AccessDenied"
    assert not exists(root, dst, "secret-copy")


def test_copy_of_a_source_version_needs_get_object_version(srv, root):
    """#1 A copy source with ?versionId= needs s3:GetObjectVersion on the source (s3:GetObject is not enough)."""
    src = new_bucket(root, "srcver", versioned=True)
    dst = new_bucket(root, "dstver")
    old = root.put_object(Bucket=src, Key="doc", Body=b"old version")["VersionId"]
    root.put_object(Bucket=src, Key="doc", Body=b"new version")
    _, user = make_user(srv, [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{src}/*"},
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{dst}/*"}])
    with pytest.raises(ClientError) as denied:
        user.get_object(Bucket=src, Key="doc", VersionId=old)
    assert code_of(denied) == "AccessDenied"
    user.copy_object(Bucket=dst, Key="latest", CopySource={"Bucket": src, "Key": "doc"})
    assert root.get_object(Bucket=dst, Key="latest")["Body"].read() == b"new version"
    with pytest.raises(ClientError) as e:
        user.copy_object(Bucket=dst, Key="old", CopySource={"Bucket": src, "Key": "doc", "VersionId": old})
    assert code_of(e) == "AccessDenied"
    assert not exists(root, dst, "old")


def test_anonymous_copy_needs_the_source_to_be_readable(srv, root, copy_world):
    """#1 An anonymous caller allowed PutObject on the destination by a bucket policy cannot copy
    from a bucket that does not allow it GetObject; from one that does, it can."""
    src, _ = copy_world
    dst = new_bucket(root, "dstanon")
    public = new_bucket(root, "pubsrc")
    root.put_object(Bucket=public, Key="pub/readme", Body=b"public bytes")
    root.put_bucket_policy(Bucket=dst, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{dst}/inbox/*"}]}))
    root.put_bucket_policy(Bucket=public, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{public}/pub/*"}]}))
    assert requests.get(f"{srv.endpoint}/{src}/secret.txt").status_code == 403
    response = requests.put(f"{srv.endpoint}/{dst}/inbox/stolen", headers={"x-amz-copy-source": f"/{src}/secret.txt"})
    assert (response.status_code, error_code(response)) == (403, "AccessDenied"), response.content
    assert not exists(root, dst, "inbox/stolen")
    allowed = requests.put(f"{srv.endpoint}/{dst}/inbox/readme", headers={"x-amz-copy-source": f"/{public}/pub/readme"})
    assert allowed.status_code == 200, allowed.content
    assert root.get_object(Bucket=dst, Key="inbox/readme")["Body"].read() == b"public bytes"


# --- #3 control characters and NUL in names and ids (S3) ------------------------------------------

def test_nul_in_bucket_or_key_does_not_bypass_a_deny(srv, root):
    """#3 `/secret%00x/doc` is not `secret/doc`: a Deny on a bucket cannot be bypassed with a NUL (the
    answer is a 4xx, never the secret bytes nor its listing). Likewise a key containing %00 is a different
    key everywhere: `b/secret.txt%00zzz` neither reads nor deletes `b/secret.txt` past a Deny on it, and a
    key written with a NUL is not stored as its prefix. (Object keys are already bound as blobs today, so
    only the bucket part reproduces on the baseline; the key part guards the same class.)"""
    secret = new_bucket(root, "vault")
    root.put_object(Bucket=secret, Key="doc", Body=SECRET)
    key, user = make_user(srv, [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::*"},
        {"Effect": "Deny", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{secret}", f"arn:aws:s3:::{secret}/*"]}])
    creds = {"access_key": key["accessKey"], "secret": key["secretKey"]}
    with pytest.raises(ClientError) as denied:
        user.get_object(Bucket=secret, Key="doc")
    assert code_of(denied) == "AccessDenied"
    for target in [f"/{secret}%00x/doc", f"/{secret}%00/doc", f"/{secret}%00x?list-type=2"]:
        reply = raw_signed(srv, "GET", target, **creds)
        assert 400 <= reply.status_code < 500, (target, reply.status_code, reply.content)
        assert SECRET not in reply.content and b"<Key>doc</Key>" not in reply.content, target
    reply = raw_signed(srv, "DELETE", f"/{secret}%00x/doc", **creds)
    assert 400 <= reply.status_code < 500, (reply.status_code, reply.content)
    assert root.get_object(Bucket=secret, Key="doc")["Body"].read() == SECRET

    bucket = new_bucket(root, "keys")
    root.put_object(Bucket=bucket, Key="b/secret.txt", Body=SECRET)
    key, user = make_user(srv, [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Effect": "Deny", "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": f"arn:aws:s3:::{bucket}/b/secret.txt"}])
    creds = {"access_key": key["accessKey"], "secret": key["secretKey"]}
    with pytest.raises(ClientError) as denied:
        user.get_object(Bucket=bucket, Key="b/secret.txt")
    assert code_of(denied) == "AccessDenied"
    for target in [f"/{bucket}/b/secret.txt%00zzz", f"/{bucket}/b/secret.txt%00"]:
        reply = raw_signed(srv, "GET", target, **creds)
        assert 400 <= reply.status_code < 500 and SECRET not in reply.content, (target, reply.status_code, reply.content)
    reply = raw_signed(srv, "DELETE", f"/{bucket}/b/secret.txt%00zzz", **creds)
    assert reply.status_code in (204, 400, 403, 404), reply.content
    assert root.get_object(Bucket=bucket, Key="b/secret.txt")["Body"].read() == SECRET, "the denied key was deleted through a NUL"
    written = raw_signed(srv, "PUT", f"/{bucket}/trunc%00ated", body=b"nul key")
    assert written.status_code in (200, 400), written.content
    assert not exists(root, bucket, "trunc"), "a key with a NUL was stored as its prefix"


def test_control_characters_in_bucket_names_are_invalid(srv, root):
    """#3 A bucket name with a control character (0x00-0x1F, 0x7F) is 400 InvalidBucketName on every
    request, not a lookup of a truncated name."""
    bucket = new_bucket(root, "ctl")
    root.put_object(Bucket=bucket, Key="doc", Body=b"doc")
    for method, target in [("GET", f"/{bucket}%00x?list-type=2"), ("GET", f"/{bucket}%00/doc"), ("GET", f"/{bucket}%01/doc"),
                           ("GET", f"/{bucket}%7F?list-type=2"), ("PUT", f"/{bucket}%00x/new"), ("PUT", "/ab%00cd"),
                           ("PUT", "/ab%1fcd")]:
        reply = raw_signed(srv, method, target, body=b"x" if method == "PUT" and target.count("/") > 1 else b"")
        assert (reply.status_code, reply.code()) == (400, "InvalidBucketName"), (method, target, reply.status_code, reply.content)
    assert [o["Key"] for o in root.list_objects_v2(Bucket=bucket).get("Contents", [])] == ["doc"]


def test_version_id_with_control_characters_is_invalid(srv, root):
    """#3 A versionId with a control character is 400 InvalidArgument; `<id>%00x` is not `<id>`, so a
    Deny on one version cannot be bypassed with it."""
    bucket = new_bucket(root, "vids", versioned=True)
    old = root.put_object(Bucket=bucket, Key="doc", Body=SECRET)["VersionId"]
    root.put_object(Bucket=bucket, Key="doc", Body=b"current")
    key, user = make_user(srv, [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"], "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Effect": "Deny", "Action": "s3:GetObjectVersion", "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringEquals": {"s3:VersionId": old}}}])
    with pytest.raises(ClientError) as denied:
        user.get_object(Bucket=bucket, Key="doc", VersionId=old)
    assert code_of(denied) == "AccessDenied"
    reply = raw_signed(srv, "GET", f"/{bucket}/doc?versionId={old}%00x", access_key=key["accessKey"], secret=key["secretKey"])
    assert 400 <= reply.status_code < 500 and SECRET not in reply.content, (reply.status_code, reply.content)
    for version in [f"{old}%00x", f"{old}%00", "abc%01def", f"{old}%7F"]:
        reply = raw_signed(srv, "GET", f"/{bucket}/doc?versionId={version}")
        assert (reply.status_code, reply.code()) == (400, "InvalidArgument"), (version, reply.status_code, reply.content)
    reply = raw_signed(srv, "DELETE", f"/{bucket}/doc?versionId={old}%00x")
    assert (reply.status_code, reply.code()) == (400, "InvalidArgument"), reply.content
    assert root.get_object(Bucket=bucket, Key="doc", VersionId=old)["Body"].read() == SECRET


# --- #4 DeleteObjects authorizes each key ------------------------------------------------------------

def delete_result(response):
    deleted = {(d["Key"], d.get("VersionId")) for d in response.get("Deleted", [])}
    errors = {(e["Key"], e.get("VersionId")): e["Code"] for e in response.get("Errors", [])}
    return deleted, errors


def test_delete_objects_with_a_prefix_scoped_policy(srv, root):
    """#4 A user allowed s3:DeleteObject only on bucket/tmp/* (nothing on the bucket) uses DeleteObjects
    for tmp/ keys; other keys come back as per-key AccessDenied and stay."""
    bucket = new_bucket(root, "delp")
    for k in ["tmp/a", "tmp/b", "keep/c"]:
        root.put_object(Bucket=bucket, Key=k, Body=b"x")
    _, user = make_user(srv, [{"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/tmp/*"}])
    response = user.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "tmp/a"}, {"Key": "tmp/b"}, {"Key": "keep/c"}]})
    deleted, errors = delete_result(response)
    assert deleted == {("tmp/a", None), ("tmp/b", None)}
    assert errors == {("keep/c", None): "AccessDenied"}
    assert not exists(root, bucket, "tmp/a") and not exists(root, bucket, "tmp/b")
    assert exists(root, bucket, "keep/c")


def test_delete_objects_honours_a_per_key_deny(srv, root):
    """#4 Each key of a DeleteObjects is authorized on its own ARN: a Deny on bucket/keep/* holds even
    when the user may delete on the bucket ARN and everything else."""
    bucket = new_bucket(root, "deld")
    for k in ["tmp/x", "keep/y"]:
        root.put_object(Bucket=bucket, Key=k, Body=b"x")
    _, user = make_user(srv, [
        {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{bucket}/keep/*"}])
    with pytest.raises(ClientError) as denied:
        user.delete_object(Bucket=bucket, Key="keep/y")
    assert code_of(denied) == "AccessDenied"
    response = user.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "tmp/x"}, {"Key": "keep/y"}]})
    deleted, errors = delete_result(response)
    assert deleted == {("tmp/x", None)}
    assert errors == {("keep/y", None): "AccessDenied"}
    assert exists(root, bucket, "keep/y"), "DeleteObjects deleted a key the user is denied"
    assert not exists(root, bucket, "tmp/x")


def test_delete_objects_with_version_ids_needs_delete_object_version(srv, root):
    """#4 An entry with a VersionId is authorized as s3:DeleteObjectVersion: s3:DeleteObject alone only
    adds delete markers."""
    bucket = new_bucket(root, "delv", versioned=True)
    old = root.put_object(Bucket=bucket, Key="doc", Body=b"v1")["VersionId"]
    root.put_object(Bucket=bucket, Key="doc", Body=b"v2")
    root.put_object(Bucket=bucket, Key="other", Body=b"o")
    _, user = make_user(srv, [
        {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}])
    response = user.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "doc", "VersionId": old}, {"Key": "other"}]})
    deleted, errors = delete_result(response)
    assert errors == {("doc", old): "AccessDenied"}, response
    assert deleted == {("other", None)}
    assert root.get_object(Bucket=bucket, Key="doc", VersionId=old)["Body"].read() == b"v1", "a version was deleted without DeleteObjectVersion"


# --- #9 unsigned x-amz-* headers -------------------------------------------------------------------

def test_presigned_put_with_unsigned_amz_headers_is_refused(srv, root, copy_world):
    """#9 A presigned PUT URL used with x-amz-* headers that are not in X-Amz-SignedHeaders (a copy
    source, tags) is 403 AccessDenied; x-amz-content-sha256 is exempt."""
    src, _ = copy_world
    bucket = new_bucket(root, "presig")
    url = srv.presign("PUT", bucket, "upload.bin")
    response = requests.put(url, data=b"", headers={"x-amz-copy-source": f"{src}/secret.txt"})
    assert (response.status_code, error_code(response)) == (403, "AccessDenied"), response.content
    assert not exists(root, bucket, "upload.bin"), "an unsigned x-amz-copy-source turned the presigned PUT into a copy"
    response = requests.put(url, data=b"tagged", headers={"x-amz-tagging": "owner=mallory"})
    assert (response.status_code, error_code(response)) == (403, "AccessDenied"), response.content
    assert not exists(root, bucket, "upload.bin")
    response = requests.put(url, data=b"plain", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    assert response.status_code == 200, response.content
    assert root.get_object(Bucket=bucket, Key="upload.bin")["Body"].read() == b"plain"


def test_header_signed_request_with_unsigned_amz_headers_is_refused(srv, root, copy_world):
    """#9 A SigV4 header-signed request carrying an x-amz-* header outside SignedHeaders is 403 AccessDenied."""
    src, _ = copy_world
    bucket = new_bucket(root, "hdrsig")
    reply = raw_signed(srv, "PUT", f"/{bucket}/tagged", body=b"body", unsigned={"x-amz-tagging": "owner=mallory"})
    assert (reply.status_code, reply.code()) == (403, "AccessDenied"), (reply.status_code, reply.content)
    assert not exists(root, bucket, "tagged")
    reply = raw_signed(srv, "PUT", f"/{bucket}/copied", unsigned={"x-amz-copy-source": f"/{src}/secret.txt"})
    assert (reply.status_code, reply.code()) == (403, "AccessDenied"), (reply.status_code, reply.content)
    assert not exists(root, bucket, "copied")
    reply = raw_signed(srv, "PUT", f"/{bucket}/meta", body=b"m", unsigned={"x-amz-meta-injected": "1"})
    assert (reply.status_code, reply.code()) == (403, "AccessDenied"), (reply.status_code, reply.content)
    # The same headers signed are fine.
    reply = raw_signed(srv, "PUT", f"/{bucket}/tagged", body=b"body", headers={"x-amz-tagging": "owner=me"})
    assert reply.status_code == 200, reply.content
    assert root.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == [{"Key": "owner", "Value": "me"}]


# --- #10 policy matching and SigV2 lifetime -----------------------------------------------------------

def test_wildcards_match_unicode_scalars_not_grapheme_clusters(srv, root):
    """#10 Deny s3:GetObject on bucket/private/* also denies `private/\\u0301x` (a combining mark right after
    the slash must not merge with it)."""
    bucket = new_bucket(root, "uni")
    for k in ["private/\u0301x", "private/plain", "public/\u0301x"]:
        root.put_object(Bucket=bucket, Key=k, Body=SECRET)
    _, user = make_user(srv, [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"},
        {"Effect": "Deny", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/private/*"}])
    assert user.get_object(Bucket=bucket, Key="public/\u0301x")["Body"].read() == SECRET
    for k in ["private/plain", "private/\u0301x"]:
        with pytest.raises(ClientError) as e:
            user.get_object(Bucket=bucket, Key=k)
        assert code_of(e) == "AccessDenied", k


def test_numeric_condition_values_zero_and_one_are_numbers(srv, root):
    """#10 JSON numbers 0 and 1 in Numeric* conditions are numbers, not booleans: the Deny applies."""
    bucket = new_bucket(root, "num")
    root.put_object(Bucket=bucket, Key="a", Body=b"a")
    _, user = make_user(srv, [
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
        {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"NumericGreaterThan": {"s3:max-keys": 1}}},
        {"Effect": "Deny", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"NumericEquals": {"s3:max-keys": 0}}}])
    assert [o["Key"] for o in user.list_objects_v2(Bucket=bucket, MaxKeys=1)["Contents"]] == ["a"]
    for max_keys in [5, 0]:
        with pytest.raises(ClientError) as e:
            user.list_objects_v2(Bucket=bucket, MaxKeys=max_keys)
        assert code_of(e) == "AccessDenied", max_keys


def test_sigv2_presigned_url_lifetime_is_bounded(srv, root):
    """#10 A SigV2 presigned URL whose Expires is more than 7 days (604800 s) ahead is 403 AccessDenied."""
    bucket = new_bucket(root, "v2exp")
    root.put_object(Bucket=bucket, Key="doc", Body=b"doc")
    v2 = srv.boto3(signature_version="s3")
    short = v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "doc"}, ExpiresIn=3600)
    assert "AWSAccessKeyId=" in short and "Expires=" in short
    assert requests.get(short).content == b"doc"
    for lifetime in [604800 + 3600, 10 * 365 * 86400]:
        url = v2.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "doc"}, ExpiresIn=lifetime)
        response = requests.get(url)
        assert response.status_code == 403, (lifetime, response.status_code, response.content)
        assert error_code(response) == "AccessDenied", response.content


# --- #11 CompleteMultipartUpload racing UploadPart -----------------------------------------------------

def race_complete_with_upload_part(srv, root, bucket, max_attempts=60, budget_seconds=20.0, stop_at_first=True):
    """Completes single-part uploads while three other clients re-upload the same part number (same
    bytes), with the completion's start swept over a few milliseconds. Answers (attempts, completed,
    broken): broken lists completed objects that do not read back whole."""
    body = os.urandom(64 * 1024)
    part_md5 = hashlib.md5(body).digest()
    expected_etag = '"%s-1"' % hashlib.md5(part_md5).hexdigest()
    uploaders = 3
    clients = [srv.boto3() for _ in range(uploaders + 1)]
    completed, broken = 0, []
    started = time.monotonic()
    attempt = 0
    with concurrent.futures.ThreadPoolExecutor(uploaders + 1) as pool:
        while attempt < max_attempts and time.monotonic() - started < budget_seconds and not (broken and stop_at_first):
            key = f"race-{attempt}"
            uid = root.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
            etag = root.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=body)["ETag"]
            barrier = threading.Barrier(uploaders + 1)
            delay = (attempt % 8) * 0.0015

            def complete():
                barrier.wait(timeout=10)
                time.sleep(delay)
                try:
                    return clients[0].complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid,
                                                                MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})["ETag"]
                except ClientError:
                    return None

            def upload(index):
                barrier.wait(timeout=10)
                try:
                    clients[index].upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=body)
                except ClientError:
                    pass

            futures = [pool.submit(complete)] + [pool.submit(upload, i) for i in range(1, uploaders + 1)]
            reported = futures[0].result(timeout=30)
            for f in futures[1:]:
                f.result(timeout=30)
            attempt += 1
            if reported is None:
                continue
            completed += 1
            got = requests.get(f"{srv.endpoint}/{bucket}/{key}", headers=signed_headers(srv, "GET", f"/{bucket}/{key}"), timeout=30)
            if got.status_code != 200 or hashlib.md5(got.content).digest() != part_md5 or reported != expected_etag:
                broken.append((key, reported, got.status_code, got.content[:200]))
    return attempt, completed, broken


def test_complete_racing_upload_part_never_commits_a_broken_object(srv, root):
    """#11 CompleteMultipartUpload racing UploadPart of the same part number never commits an object that
    then fails on GET: every completed object GETs 200 with bytes whose MD5 matches the reported ETag.
    Bounded: at most 60 rounds and 20 s; the invariant is checked, not the timing."""
    bucket = new_bucket(root, "race")
    attempts, completed, broken = race_complete_with_upload_part(srv, root, bucket)
    assert not broken, f"completed objects that do not read back (after {attempts} rounds): {broken}"
    assert completed > 0, "no completion succeeded; the race was never exercised"


# --- #12 trailer bound and Expect: 100-continue after authentication --------------------------------------

def test_oversized_aws_chunked_trailer_section_is_refused(srv, root):
    """#12 An aws-chunked trailer section larger than its bound (16 KiB) is a 400 and stores nothing."""
    bucket = new_bucket(root, "trl")
    payload = b"p" * 1000
    crc = base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
    junk = b"".join(b"x-amz-junk-%d:" % i + b"j" * 1000 + b"\r\n" for i in range(64))  # ~64 KiB of trailer lines
    body = b"%x\r\n" % len(payload) + payload + b"\r\n0\r\n" + junk + f"x-amz-checksum-crc32:{crc}\r\n\r\n".encode()
    target = f"/{bucket}/trailered"
    headers = signed_headers(srv, "PUT", target, headers={
        "Content-Encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32",
        "x-amz-decoded-content-length": str(len(payload)), "Content-Length": str(len(body))},
        payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    head = f"PUT {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "Connection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        try:
            sock.sendall(head.encode() + body)
        except OSError:
            pass  # the server may answer and close before taking it all
        received = read_http(sock, time.monotonic() + 10)
    assert status_of_raw(received) == 400, received[:500]
    assert not exists(root, bucket, "trailered")
    # The same upload with only its checksum trailer is fine.
    small = b"%x\r\n" % len(payload) + payload + b"\r\n0\r\n" + f"x-amz-checksum-crc32:{crc}\r\n\r\n".encode()
    headers = signed_headers(srv, "PUT", target, headers={
        "Content-Encoding": "aws-chunked", "x-amz-trailer": "x-amz-checksum-crc32",
        "x-amz-decoded-content-length": str(len(payload))}, payload_hash="STREAMING-UNSIGNED-PAYLOAD-TRAILER")
    reply = send(srv, "PUT", target, headers, small)
    assert reply.status_code == 200, reply.content
    assert root.get_object(Bucket=bucket, Key="trailered")["Body"].read() == payload


def expect_exchange(server, target, headers, body_size, send_body_after_continue=False) -> bytes:
    """Sends a PUT's head with `Expect: 100-continue` and no body; answers what the server sends
    within 5 s (the body is sent only when asked for and `send_body_after_continue`)."""
    head = f"PUT {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += f"Content-Length: {body_size}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(head.encode())
        data = read_head(sock, time.monotonic() + 5)
        if send_body_after_continue and data.startswith(b"HTTP/1.1 100"):
            sock.sendall(b"z" * body_size)
            data += read_http(sock, time.monotonic() + 10)
    return data


def test_expect_100_continue_is_not_sent_before_authentication(srv, root):
    """#12 `Expect: 100-continue` on a PUT that will be refused (unknown key, bad signature, policy deny)
    gets the final 403 without a 100 Continue first, so the client never sends the body."""
    bucket = new_bucket(root, "expect")
    size = 8 * 1024 * 1024
    reader, _ = make_user(srv, [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}])
    cases = {
        "unknown key": dict(access_key="NOSUCHKEY0000000", secret="whatever-secret"),
        "bad signature": dict(access_key=ROOT_USER, secret="not-the-root-secret"),
        "policy deny": dict(access_key=reader["accessKey"], secret=reader["secretKey"]),
    }
    for name, creds in cases.items():
        target = f"/{bucket}/refused-{name.replace(' ', '-')}"
        headers = signed_headers(srv, "PUT", target, **creds)
        data = expect_exchange(srv, target, headers, size)
        assert data.startswith(b"HTTP/1.1 403"), (name, data[:300])
        assert not exists(root, bucket, f"refused-{name.replace(' ', '-')}")
    # An allowed PUT still gets its 100 Continue and completes.
    target = f"/{bucket}/accepted"
    data = expect_exchange(srv, target, signed_headers(srv, "PUT", target), 1024, send_body_after_continue=True)
    assert data.startswith(b"HTTP/1.1 100"), data[:300]
    assert b"HTTP/1.1 200" in data, data[:500]
    assert root.get_object(Bucket=bucket, Key="accepted")["Body"].read() == b"z" * 1024


def test_expect_100_continue_waits_for_the_checks_that_need_no_body(srv, root):
    """An authorized PUT refused before its body is wanted (no such bucket, no such upload, a
    declared length over the limit) gets its final answer without a 100 Continue: the client,
    told to go on, would send a body only to have it thrown away (6 TiB here)."""
    bucket = new_bucket(root, "expectcheck")
    cases = {
        "no such bucket": (f"/{bucket}-missing/k", 1024, b"HTTP/1.1 404"),
        "too large": (f"/{bucket}/huge", 6 * 1024 ** 4, b"HTTP/1.1 400"),
        "no such upload": (f"/{bucket}/part?partNumber=1&uploadId=nosuchupload", 1024, b"HTTP/1.1 404"),
    }
    for name, (target, size, status) in cases.items():
        data = expect_exchange(srv, target, signed_headers(srv, "PUT", target), size)
        assert data.startswith(status), (name, data[:300])
        assert b"100 Continue" not in data, (name, data[:300])
    assert "Contents" not in root.list_objects_v2(Bucket=bucket)
    # STS reads its form to authenticate it, but not one declared over 64 KiB, nor any signed
    # with SigV2 (which would leave the form unsigned).
    for name, size, authorization, status in (
            ("sts too large", 70_000, None, b"HTTP/1.1 400"),
            ("sts sigv2", 300, f"AWS {ROOT_USER}:c2lnbmF0dXJl", b"HTTP/1.1 403")):
        head = f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        if authorization:
            head += f"Authorization: {authorization}\r\n"
        head += f"Content-Length: {size}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
        with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
            sock.sendall(head.encode())
            data = read_head(sock, time.monotonic() + 5)
        assert data.startswith(status), (name, data[:300])
        assert b"100 Continue" not in data, (name, data[:300])


def test_expect_100_continue_without_a_body_keeps_the_connection(srv, root):
    """`Expect: 100-continue` on a request with no body (a CopyObject with Content-Length 0) has
    nothing to hold back: its 100 Continue goes before the answer and the connection carries the
    next request. botocore, sent a final answer without a 100, keeps that answer's status for
    every later answer on the connection: empty and 1-byte PUTs in turn on one client."""
    bucket = new_bucket(root, "expectnobody")
    for body in (b"", b"x", b"", b"yz"):
        reply = root.put_object(Bucket=bucket, Key="turns", Body=body)
        assert reply.get("ETag") == '"%s"' % hashlib.md5(body).hexdigest(), reply["ResponseMetadata"]
    root.put_object(Bucket=bucket, Key="source", Body=b"copied")
    target = f"/{bucket}/copy"
    headers = signed_headers(srv, "PUT", target, headers={"x-amz-copy-source": f"/{bucket}/source"})
    head = f"PUT {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    head += "Content-Length: 0\r\nExpect: 100-continue\r\n\r\n"
    health = f"GET /floe/health/live HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(head.encode() + health.encode())
        data = b""
        deadline = time.monotonic() + 10
        while data.count(b"HTTP/1.1 200") < 2 and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200"), data[:300]
    assert b"Connection: close" not in data and data.count(b"HTTP/1.1 200") == 2, data[:600]
    assert root.get_object(Bucket=bucket, Key="copy")["Body"].read() == b"copied"


# --- #13 a 10,000-part CompleteMultipartUpload with checksums ---------------------------------------------

def test_complete_with_10000_checksummed_parts_is_not_refused_for_size(srv, root):
    """#13 A CompleteMultipartUpload body naming 10,000 parts with ChecksumCRC32 (~1.3 MB) is parsed:
    the answer is InvalidPart (the parts do not exist), not MalformedXML or EntityTooLarge."""
    bucket = new_bucket(root, "mpu10k")
    uid = root.create_multipart_upload(Bucket=bucket, Key="big", ChecksumAlgorithm="CRC32")["UploadId"]
    parts = "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>\"{hashlib.md5(str(n).encode()).hexdigest()}\"</ETag>"
        f"<ChecksumCRC32>{base64.b64encode(zlib.crc32(str(n).encode()).to_bytes(4, 'big')).decode()}</ChecksumCRC32></Part>"
        for n in range(1, 10001))
    body = f'<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">{parts}</CompleteMultipartUpload>'.encode()
    assert len(body) > 1_250_000
    reply = raw_signed(srv, "POST", f"/{bucket}/big?uploadId={uid}", body=body)
    assert (reply.status_code, reply.code()) == (400, "InvalidPart"), (reply.status_code, reply.content[:500])
    assert root.list_multipart_uploads(Bucket=bucket)["Uploads"][0]["UploadId"] == uid


def test_admin_bodies_are_verified_against_the_signed_hash(srv, root):
    """#8: an admin request's body must match its signed x-amz-content-sha256, so a captured
    request cannot be replayed with another body; an admin body must be signed (no UNSIGNED-PAYLOAD)."""
    name = unique("adminreplay")
    signed_body = json.dumps({"policies": ["readonly"]}).encode()
    evil_body = json.dumps({"policies": ["admin"]}).encode()
    url = f"{srv.endpoint}/floe/admin/v1/users/{name}"
    request = AWSRequest(method="PUT", url=url, data=signed_body, headers={"x-amz-content-sha256": hashlib.sha256(signed_body).hexdigest()})
    SigV4Auth(Credentials(ROOT_USER, ROOT_PASSWORD), "s3", REGION).add_auth(request)
    headers = dict(request.prepare().headers)
    replayed = requests.put(url, headers=headers, data=evil_body, timeout=10)
    assert replayed.status_code == 400 and "XAmzContentSHA256Mismatch" in replayed.text, replayed.text
    unsigned = srv.signed("PUT", f"/floe/admin/v1/users/{name}", body=evil_body, payload_hash="UNSIGNED-PAYLOAD")
    assert unsigned.status_code == 400, unsigned.text
    assert srv.signed("GET", f"/floe/admin/v1/users/{name}").status_code == 404
    # The request as signed still works.
    assert requests.put(url, headers=headers, data=signed_body, timeout=10).status_code == 200
    assert admin(srv, "GET", f"users/{name}").json()["policies"] == ["readonly"]


def test_s3_grants_do_not_reach_the_admin_api(srv, root):
    """#8: admin actions are evaluated on arn:floe:admin:::…, so "Action": "*" (or a NotAction
    Allow) on arn:aws:s3:::* administers nothing."""
    for statement in ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::*"},
                      {"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "arn:aws:s3:::*"}):
        key, _ = make_user(srv, [statement])
        response = srv.signed("PUT", f"/floe/admin/v1/users/{unique('escalated')}", body=b"{}", access_key=key["accessKey"], secret=key["secretKey"])
        assert response.status_code == 403 and "AccessDenied" in response.text, response.text
        listing = srv.signed("GET", "/floe/admin/v1/users", access_key=key["accessKey"], secret=key["secretKey"])
        assert listing.status_code == 403
