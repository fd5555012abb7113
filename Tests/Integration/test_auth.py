"""Signature checks, presigned URLs (with curl), and bad input of every kind."""
import base64
import socket
import subprocess
import time
import uuid
import zlib

import requests

from floe_harness import ROOT_PASSWORD, ROOT_USER, error_code, signed_chunked_put


def curl(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", *args], capture_output=True, timeout=60)


def test_presigned_get_and_put_with_curl(server, s3, bucket, tmp_path):
    s3.put_object(Bucket=bucket, Key="shared/report 1.csv", Body=b"a,b\n1,2\n")
    url = server.presign("GET", bucket, "shared/report 1.csv", expires=120)
    result = curl("-o", "-", "-w", "\n%{http_code}", url)
    assert result.stdout == b"a,b\n1,2\n\n200"
    upload = tmp_path / "up.txt"
    upload.write_bytes(b"uploaded through a presigned URL")
    put_url = server.presign("PUT", bucket, "incoming/up.txt", expires=120)
    result = curl("-X", "PUT", "-T", str(upload), "-w", "%{http_code}", put_url)
    assert result.stdout.endswith(b"200")
    assert s3.get_object(Bucket=bucket, Key="incoming/up.txt")["Body"].read() == upload.read_bytes()
    tampered = url.replace("report%201.csv", "report%202.csv")
    response = requests.get(tampered)
    assert (response.status_code, error_code(response)) == (403, "SignatureDoesNotMatch")


def test_signature_v2_defaults_of_boto3_and_aws_cli(server, s3, bucket):
    """boto3's generate_presigned_url and `aws s3 presign` sign with SigV2 by default."""
    s3.put_object(Bucket=bucket, Key="v2/obj.txt", Body=b"v2 body")
    url = server.boto3().generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2/obj.txt"}, ExpiresIn=60)
    assert "AWSAccessKeyId=" in url
    assert curl("-o", "-", url).stdout == b"v2 body"
    cli_url = server.aws("s3", "presign", f"s3://{bucket}/v2/obj.txt", "--expires-in", "60").stdout.decode().strip()
    assert requests.get(cli_url).content == b"v2 body"
    assert requests.get(cli_url.replace("obj.txt", "other.txt")).status_code == 403
    # Header-signed SigV2 (signature_version="s3"), as older tools send it.
    v2 = server.boto3(signature_version="s3")
    v2.put_object(Bucket=bucket, Key="v2/header signed+x.txt", Body=b"hdr", Metadata={"k": "v"}, ContentType="text/plain")
    assert v2.get_object(Bucket=bucket, Key="v2/header signed+x.txt")["Body"].read() == b"hdr"
    assert [o["Key"] for o in v2.list_objects(Bucket=bucket, Prefix="v2/")["Contents"]] == ["v2/header signed+x.txt", "v2/obj.txt"]
    expired = server.boto3().generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2/obj.txt"}, ExpiresIn=-10)
    response = requests.get(expired)
    assert (response.status_code, error_code(response)) == (403, "AccessDenied") and b"Request has expired" in response.content


def test_presigned_expiry(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    url = server.presign("GET", bucket, "k", expires=1)
    time.sleep(2.2)
    response = requests.get(url)
    assert response.status_code == 403
    assert error_code(response) == "AccessDenied"
    assert b"Request has expired" in response.content
    too_long = server.presign("GET", bucket, "k", expires=604801)
    response = requests.get(too_long)
    assert (response.status_code, error_code(response)) == (400, "AuthorizationQueryParametersError")


def test_wrong_secret_and_unknown_key(server, bucket):
    response = server.signed("GET", f"/{bucket}", secret="wrong-secret-value")
    assert (response.status_code, error_code(response)) == (403, "SignatureDoesNotMatch")
    response = server.signed("GET", f"/{bucket}", access_key="NOSUCHKEY")
    assert (response.status_code, error_code(response)) == (403, "InvalidAccessKeyId")


def test_anonymous_is_denied(server, bucket):
    for method in ["GET", "PUT", "DELETE"]:
        response = requests.request(method, f"{server.endpoint}/{bucket}/anything", data=b"x" if method == "PUT" else None)
        assert (response.status_code, error_code(response)) == (403, "AccessDenied")
    assert requests.get(server.endpoint + "/").status_code == 403


def test_malformed_authorization(server, bucket):
    headers = {"Authorization": "AWS4-HMAC-SHA256 Credential=bogus", "x-amz-date": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
               "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
    response = requests.get(f"{server.endpoint}/{bucket}", headers=headers)
    assert (response.status_code, error_code(response)) == (400, "AuthorizationHeaderMalformed")
    response = requests.get(f"{server.endpoint}/{bucket}", headers={"Authorization": f"AWS {ROOT_USER}:c2lnbmF0dXJl"})
    assert (response.status_code, error_code(response)) == (403, "AccessDenied")  # SigV2 without a Date
    response = requests.get(f"{server.endpoint}/{bucket}", headers={"Authorization": "AWS no-colon-here"})
    assert (response.status_code, error_code(response)) == (400, "AuthorizationHeaderMalformed")


def test_clock_skew(server, bucket):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    import datetime
    from unittest import mock
    skewed = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=20)
    request = AWSRequest(method="GET", url=f"{server.endpoint}/{bucket}", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
    with mock.patch("botocore.auth.get_current_datetime", return_value=skewed):
        SigV4Auth(Credentials(ROOT_USER, ROOT_PASSWORD), "s3", "us-east-1").add_auth(request)
    response = requests.get(request.url, headers=dict(request.headers))
    assert (response.status_code, error_code(response)) == (403, "RequestTimeTooSkewed")


def test_oversized_headers(server, bucket):
    response = server.signed("PUT", f"/{bucket}/h", body=b"x", headers={f"x-amz-meta-h{i}": "v" * 200 for i in range(45)})
    assert (response.status_code, error_code(response)) == (400, "RequestHeaderSectionTooLarge")


def test_unknown_headers_ignored_and_unsupported_operations_501(server, bucket):
    response = server.signed("PUT", f"/{bucket}/u", body=b"x", headers={"x-amz-some-future-header": "1", "x-unknown": "y"})
    assert response.status_code == 200
    for method, params in [("PUT", {"replication": ""}), ("GET", {"inventory": ""}), ("PUT", {"analytics": ""}), ("GET", {"website": ""})]:
        path = f"/{bucket}"
        response = server.signed(method, path, params=params)
        assert (response.status_code, error_code(response)) == (501, "NotImplemented"), (method, params)
    response = server.signed("PATCH", f"/{bucket}/u")
    assert (response.status_code, error_code(response)) == (405, "MethodNotAllowed")


def test_truncated_body_stores_nothing(server, s3, bucket):
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    url = f"{server.endpoint}/{bucket}/truncated"
    request = AWSRequest(method="PUT", url=url, headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD", "Content-Length": "100000"})
    SigV4Auth(Credentials(ROOT_USER, ROOT_PASSWORD), "s3", "us-east-1").add_auth(request)
    head = f"PUT /{bucket}/truncated HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in request.headers.items() if k.lower() != "host") + "\r\n"
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(head.encode() + b"x" * 40000)
        sock.shutdown(socket.SHUT_WR)
        sock.settimeout(10)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError:
            pass
    assert received.startswith(b"HTTP/1.1 400") and b"<Code>IncompleteBody</Code>" in received
    assert server.signed("GET", f"/{bucket}/truncated").status_code == 404


def test_expect_100_continue_is_answered(server, bucket, tmp_path):
    data = tmp_path / "two-mib"
    data.write_bytes(b"z" * (2 * 1024 * 1024))
    url = server.presign("PUT", bucket, "expect")
    started = time.monotonic()
    result = curl("-v", "-X", "PUT", "-T", str(data), "-H", "Expect: 100-continue", "--expect100-timeout", "5", "-o", "/dev/null", url)
    elapsed = time.monotonic() - started
    assert b"HTTP/1.1 100 Continue" in result.stderr
    assert b"HTTP/1.1 200" in result.stderr
    assert elapsed < 4, "the client waited for its expect timeout instead of getting 100 Continue"


def test_signed_streaming_upload(server, s3, bucket):
    chunks = [b"a" * 65536, b"b" * 65536, b"tail"]
    response = signed_chunked_put(server, bucket, "streamed", chunks)
    assert response.status_code == 200, response.content
    assert s3.get_object(Bucket=bucket, Key="streamed")["Body"].read() == b"".join(chunks)
    crc = base64.b64encode(zlib.crc32(b"".join(chunks)).to_bytes(4, "big")).decode()
    response = signed_chunked_put(server, bucket, "streamed-trailer", chunks, trailer=("x-amz-checksum-crc32", crc))
    assert response.status_code == 200, response.content
    assert s3.head_object(Bucket=bucket, Key="streamed-trailer", ChecksumMode="ENABLED")["ChecksumCRC32"] == crc
    # A flipped byte breaks that chunk's signature; the old object stays.
    response = signed_chunked_put(server, bucket, "streamed", [b"new" * 100], tamper_chunk=0)
    assert (response.status_code, error_code(response)) == (403, "SignatureDoesNotMatch")
    assert s3.get_object(Bucket=bucket, Key="streamed")["Body"].read() == b"".join(chunks)
    response = signed_chunked_put(server, bucket, "streamed-trailer", chunks, trailer=("x-amz-checksum-crc32", "AAAAAA=="))
    assert response.status_code in (400, 403)
    response = signed_chunked_put(server, bucket, "short", chunks, decoded_length=10)
    assert response.status_code == 400
    assert server.signed("GET", f"/{bucket}/short").status_code == 404


def test_unsigned_trailer_upload_as_botocore_frames_it(server, s3, bucket):
    """botocore uses STREAMING-UNSIGNED-PAYLOAD-TRAILER over TLS; build that request with botocore's own framing."""
    import io
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.httpchecksum import AwsChunkedWrapper, Crc32Checksum

    payload = bytes(range(256)) * 1000
    for key, tamper in [("trailer-ok", False), ("trailer-bad", True)]:
        body = AwsChunkedWrapper(io.BytesIO(payload), checksum_cls=Crc32Checksum, checksum_name="x-amz-checksum-crc32", chunk_size=65536).read()
        if tamper:
            body = body.replace(b"x-amz-checksum-crc32:", b"x-amz-checksum-crc32:AAAAAA==\r\nx-ignored:")
            body = body[: body.index(b"x-ignored:")] + b"\r\n"
        request = AWSRequest(method="PUT", url=f"{server.endpoint}/{bucket}/{key}", data=body, headers={
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "Content-Encoding": "aws-chunked",
            "x-amz-trailer": "x-amz-checksum-crc32", "x-amz-decoded-content-length": str(len(payload)),
            "x-amz-sdk-checksum-algorithm": "CRC32",
        })
        SigV4Auth(Credentials(ROOT_USER, ROOT_PASSWORD), "s3", "us-east-1").add_auth(request)
        response = requests.put(request.url, data=body, headers=dict(request.headers))
        if tamper:
            assert (response.status_code, error_code(response)) == (400, "BadDigest"), response.content
        else:
            assert response.status_code == 200, response.content
            got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
            assert got["Body"].read() == payload
            assert got["ContentEncoding"] if "ContentEncoding" in got else True
            assert "aws-chunked" not in got.get("ContentEncoding", "")
            assert got["ChecksumCRC32"] == base64.b64encode(zlib.crc32(payload).to_bytes(4, "big")).decode()
