"""Object operations with boto3 (default botocore checksum behaviour)."""
import base64
import hashlib
import os
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse
import zlib
from email.utils import formatdate

import pytest
import requests
from botocore.exceptions import ClientError

from floe_harness import error_code, prepared_blob_file


def code_of(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_put_get_head_delete_roundtrip(s3, bucket):
    body = os.urandom(300_001)
    put = s3.put_object(Bucket=bucket, Key="data/blob.bin", Body=body, ContentType="application/x-test",
                        Metadata={"Origin": "floe", "n": "1"}, CacheControl="max-age=60",
                        ContentDisposition='attachment; filename="b.bin"', ContentLanguage="en", StorageClass="STANDARD_IA",
                        Tagging="a=1&b=two%20words")
    assert put["ETag"] == '"%s"' % hashlib.md5(body).hexdigest()
    got = s3.get_object(Bucket=bucket, Key="data/blob.bin")
    assert got["Body"].read() == body
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"origin": "floe", "n": "1"}
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentDisposition"] == 'attachment; filename="b.bin"'
    assert got["ContentLanguage"] == "en"
    assert got["StorageClass"] == "STANDARD_IA"
    assert got["TagCount"] == 2
    assert got["ETag"] == put["ETag"]
    head = s3.head_object(Bucket=bucket, Key="data/blob.bin")
    assert head["ContentLength"] == len(body)
    assert head["AcceptRanges"] == "bytes"
    s3.delete_object(Bucket=bucket, Key="data/blob.bin")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="data/blob.bin")
    assert code_of(e) == "NoSuchKey"
    # Deleting a missing key is an idempotent 204.
    assert s3.delete_object(Bucket=bucket, Key="data/blob.bin")["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_keys_starting_with_a_combining_mark(s3, bucket):
    """A key may start with a combining mark or a variation selector: the slash before it still
    ends the bucket name, in the path and in a copy source (found as characters, it was one
    character with the mark, and the request named the bucket with the key's first character)."""
    for key in ("\u0301abc", "\ufe0fx", "dir/\u0301x"):
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
        s3.copy_object(Bucket=bucket, Key=key + "-copy", CopySource={"Bucket": bucket, "Key": key})
        assert s3.get_object(Bucket=bucket, Key=key + "-copy")["Body"].read() == key.encode()
    listed = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert {"\u0301abc", "\u0301abc-copy", "\ufe0fx", "dir/\u0301x"} <= listed


def test_default_content_type_and_empty_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="empty", Body=b"")
    got = s3.get_object(Bucket=bucket, Key="empty")
    assert got["Body"].read() == b""
    assert got["ContentLength"] == 0
    assert got["ETag"] == '"d41d8cd98f00b204e9800998ecf8427e"'
    assert got["ContentType"] == "binary/octet-stream"


def test_checksums_are_validated_stored_and_returned(s3, bucket):
    body = b"checksummed body " * 1000
    for algorithm in ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"]:
        put = s3.put_object(Bucket=bucket, Key=f"c/{algorithm}", Body=body, ChecksumAlgorithm=algorithm)
        got = s3.get_object(Bucket=bucket, Key=f"c/{algorithm}", ChecksumMode="ENABLED")
        assert got["Body"].read() == body
        assert got[f"Checksum{algorithm}"] == put[f"Checksum{algorithm}"]
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    assert s3.head_object(Bucket=bucket, Key="c/CRC32", ChecksumMode="ENABLED")["ChecksumCRC32"] == crc


def test_wrong_checksum_header_is_rejected(server, bucket):
    body = b"hello world"
    response = server.signed("PUT", f"/{bucket}/bad-crc", body=body, headers={"x-amz-checksum-crc32": "AAAAAA=="})
    assert (response.status_code, error_code(response)) == (400, "BadDigest")
    response = server.signed("PUT", f"/{bucket}/bad-crc", body=body, headers={"x-amz-checksum-crc32": "not base64!"})
    assert (response.status_code, error_code(response)) == (400, "InvalidRequest")
    response = server.signed("PUT", f"/{bucket}/bad-crc", body=body,
                             headers={"x-amz-checksum-crc32": "DUoRhQ==", "x-amz-sdk-checksum-algorithm": "SHA256"})
    assert (response.status_code, error_code(response)) == (400, "InvalidRequest")
    response = server.signed("PUT", f"/{bucket}/bad-crc", body=body, headers={"x-amz-checksum-crc32": "DUoRhQ=="})
    assert response.status_code == 200
    assert response.headers["x-amz-checksum-crc32"] == "DUoRhQ=="


def test_content_md5(server, bucket):
    body = b"md5 checked"
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    assert server.signed("PUT", f"/{bucket}/m", body=body, headers={"Content-MD5": good}).status_code == 200
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    response = server.signed("PUT", f"/{bucket}/m", body=body, headers={"Content-MD5": wrong})
    assert (response.status_code, error_code(response)) == (400, "BadDigest")
    response = server.signed("PUT", f"/{bucket}/m", body=body, headers={"Content-MD5": "garbage"})
    assert (response.status_code, error_code(response)) == (400, "InvalidDigest")
    # The failed uploads did not replace the object.
    assert server.signed("GET", f"/{bucket}/m").content == body


def test_content_sha256_mismatch(server, bucket):
    response = server.signed("PUT", f"/{bucket}/s", body=b"payload", payload_hash=hashlib.sha256(b"other").hexdigest())
    assert (response.status_code, error_code(response)) == (400, "XAmzContentSHA256Mismatch")
    assert server.signed("GET", f"/{bucket}/s").status_code == 404


def test_user_metadata_limit(server, bucket):
    response = server.signed("PUT", f"/{bucket}/meta", body=b"x", headers={"x-amz-meta-big": "v" * 2100})
    assert (response.status_code, error_code(response)) == (400, "MetadataTooLarge")


def test_ranges(s3, bucket):
    body = bytes(range(256)) * 40
    s3.put_object(Bucket=bucket, Key="r", Body=body)
    for header, expected, content_range in [
        ("bytes=0-9", body[0:10], "bytes 0-9/10240"),
        ("bytes=10235-", body[10235:], "bytes 10235-10239/10240"),
        ("bytes=-5", body[-5:], "bytes 10235-10239/10240"),
        ("bytes=100-99999", body[100:], "bytes 100-10239/10240"),
    ]:
        got = s3.get_object(Bucket=bucket, Key="r", Range=header)
        assert got["Body"].read() == expected
        assert got["ContentRange"] == content_range
        assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="r", Range="bytes=10240-")
    assert code_of(e) == "InvalidRange"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416
    # An unparsable range is ignored: the whole object, 200.
    got = s3.get_object(Bucket=bucket, Key="r", Range="bytes=5-1")
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200 and got["Body"].read() == body


def test_conditional_get(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="cond", Body=b"v1")["ETag"]
    assert s3.get_object(Bucket=bucket, Key="cond", IfMatch=etag)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfMatch='"0000"')
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfNoneMatch=etag)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    future = formatdate(time.time() + 3600, usegmt=True)
    past = formatdate(time.time() - 3600, usegmt=True)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfModifiedSince=future)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    assert s3.get_object(Bucket=bucket, Key="cond", IfModifiedSince=past)["Body"].read() == b"v1"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="cond", IfUnmodifiedSince=past)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    # If-Match true wins over If-Unmodified-Since false, as S3 documents.
    assert s3.get_object(Bucket=bucket, Key="cond", IfMatch=etag, IfUnmodifiedSince=past)["Body"].read() == b"v1"


def test_response_overrides(s3, server, bucket):
    s3.put_object(Bucket=bucket, Key="o", Body=b"x", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="o", ResponseContentType="application/json", ResponseContentDisposition="inline",
                        ResponseCacheControl="no-cache", ResponseContentLanguage="de", ResponseContentEncoding="identity",
                        ResponseExpires="Thu, 01 Dec 1994 16:00:00 GMT")
    headers = got["ResponseMetadata"]["HTTPHeaders"]
    assert headers["content-type"] == "application/json"
    assert headers["content-disposition"] == "inline"
    assert headers["cache-control"] == "no-cache"
    assert headers["content-language"] == "de"
    assert headers["content-encoding"] == "identity"
    assert headers["expires"] == "Thu, 01 Dec 1994 16:00:00 GMT"


@pytest.mark.parametrize("key", [
    "../x", "../../etc/passwd", "a//b", "dir/", "dir/sub/", " lead and trail ", "plus+equals=at@tilde~", "hive/year=2024/month=01/part-0.parquet",
    "üñíçødé/日本語/ファイル", "percent%20literal", "question?mark#hash", "semi;colon,comma", "quote\"apostrophe'", "star*(paren)!",
    "ctl\x01\x1fchar", "tab\tinside", "a" * 1024,
])
def test_awkward_keys_roundtrip(s3, bucket, key):
    s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=key)
    assert [o["Key"] for o in listed.get("Contents", [])][:1] == [key]
    s3.delete_object(Bucket=bucket, Key=key)
    assert s3.list_objects_v2(Bucket=bucket, Prefix=key)["KeyCount"] == 0


def test_key_too_long(server, bucket):
    response = server.signed("PUT", f"/{bucket}/" + "k" * 1025, body=b"x")
    assert (response.status_code, error_code(response)) == (400, "KeyTooLongError")


def test_directory_marker_semantics(s3, bucket):
    s3.put_object(Bucket=bucket, Key="folder/", Body=b"")
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="folder")
    assert e.value.response["Error"]["Code"] == "404"
    listed = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in listed["CommonPrefixes"]] == ["folder/"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="folder/", Delimiter="/")
    assert [o["Key"] for o in listed["Contents"]] == ["folder/"]


def test_overwrite_is_strongly_consistent(s3, bucket):
    for i in range(20):
        s3.put_object(Bucket=bucket, Key="hot", Body=f"version {i}".encode())
        assert s3.get_object(Bucket=bucket, Key="hot")["Body"].read() == f"version {i}".encode()


def test_large_object_streams(s3, bucket, tmp_path):
    size = 48 * 1024 * 1024 + 123
    path = tmp_path / "large.bin"
    block = os.urandom(1024 * 1024)
    digest = hashlib.md5()
    with open(path, "wb") as f:
        written = 0
        while written < size:
            part = block[: min(len(block), size - written)]
            f.write(part)
            digest.update(part)
            written += len(part)
    with open(path, "rb") as f:
        put = s3.put_object(Bucket=bucket, Key="large", Body=f)
    assert put["ETag"] == '"%s"' % digest.hexdigest()
    got = s3.get_object(Bucket=bucket, Key="large")
    check = hashlib.md5()
    for chunk in iter(lambda: got["Body"].read(1 << 20), b""):
        check.update(chunk)
    assert check.hexdigest() == digest.hexdigest()


def test_request_ids_on_every_response(server, bucket):
    for response in [server.signed("GET", f"/{bucket}/missing"), server.signed("GET", "/"), requests.get(server.endpoint + "/")]:
        assert len(response.headers["x-amz-request-id"]) == 16
        assert response.headers["x-amz-id-2"]
    error = server.signed("GET", f"/{bucket}/missing")
    assert f"<RequestId>{error.headers['x-amz-request-id']}</RequestId>".encode() in error.content
    assert f"<Resource>/{bucket}/missing</Resource>".encode() in error.content or b"<Key>missing</Key>" in error.content


def blob_file_of(server, size: int) -> str:
    """The one blob file in the server's data directory with exactly `size` bytes."""
    found = []
    for directory, _, files in os.walk(os.path.join(server.data_dir, "data")):
        for name in files:
            path = os.path.join(directory, name)
            if "/objects/" in path and os.path.getsize(path) == size:
                found.append(path)
    assert len(found) == 1, found
    return found[0]


def blob_and_temporary_files(server) -> int:
    """Files under `tmp/`, and blob files but those prepared for uploads to come."""
    blobs = os.path.join(server.data_dir, "data", "blobs")
    return sum(
        1 for directory in ("objects", "tmp") for path, _, files in os.walk(os.path.join(blobs, directory)) for name in files
        if not prepared_blob_file(os.path.join(path, name)))


def test_refused_blob_sized_writes_leave_no_file_behind(s3, server, bucket):
    """An upload's blob is synced and put in place before its digest is checked: every refusal
    after the body (a wrong Content-MD5 or checksum, a failed condition, a bad part) removes it."""
    megabyte = os.urandom(1 << 20)
    s3.put_object(Bucket=bucket, Key="refusals/existing", Body=megabyte)
    before = blob_and_temporary_files(server)
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    for body in (megabyte, megabyte * 2, megabyte + b"x"):
        response = server.signed("PUT", f"/{bucket}/refusals/md5", body=body, headers={"Content-MD5": wrong_md5})
        assert (response.status_code, error_code(response)) == (400, "BadDigest")
    response = server.signed("PUT", f"/{bucket}/refusals/crc", body=megabyte, headers={"x-amz-checksum-crc32": "AAAAAA=="})
    assert (response.status_code, error_code(response)) == (400, "BadDigest")
    response = server.signed("PUT", f"/{bucket}/refusals/existing", body=megabyte, headers={"If-None-Match": "*"})
    assert response.status_code == 412
    upload = s3.create_multipart_upload(Bucket=bucket, Key="refusals/parts")["UploadId"]
    with pytest.raises(ClientError) as refused:
        s3.upload_part(Bucket=bucket, Key="refusals/parts", UploadId=upload, PartNumber=1, Body=megabyte, ContentMD5=wrong_md5)
    assert refused.value.response["Error"]["Code"] == "BadDigest"
    s3.abort_multipart_upload(Bucket=bucket, Key="refusals/parts", UploadId=upload)
    assert blob_and_temporary_files(server) == before
    assert s3.get_object(Bucket=bucket, Key="refusals/existing")["Body"].read() == megabyte


def test_blob_bodies_and_ranges_are_the_stored_bytes(s3, bucket):
    """Objects in blob files (one, and a multipart object's three) go to the socket straight from
    their files: whole, and in ranges that cross read chunks and part boundaries."""
    single = os.urandom(3 * 1024 * 1024 + 17)
    s3.put_object(Bucket=bucket, Key="single", Body=single)
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(5 * 1024 * 1024 + 3), os.urandom(700_001)]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="multi")["UploadId"]
    etags = [s3.upload_part(Bucket=bucket, Key="multi", UploadId=upload, PartNumber=n + 1, Body=p)["ETag"] for n, p in enumerate(parts)]
    s3.complete_multipart_upload(Bucket=bucket, Key="multi", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})
    multi = b"".join(parts)
    assert s3.get_object(Bucket=bucket, Key="single")["Body"].read() == single
    assert s3.get_object(Bucket=bucket, Key="multi")["Body"].read() == multi
    for key, body, ranges in [
        ("single", single, [(0, 0), (1024 * 1024 - 5, 2 * 1024 * 1024 + 5), (len(single) - 1, len(single) - 1)]),
        ("multi", multi, [(5 * 1024 * 1024 - 10, 5 * 1024 * 1024 + 10), (1, len(multi) - 2), (10 * 1024 * 1024 + 2, 10 * 1024 * 1024 + 4)]),
    ]:
        for first, last in ranges:
            got = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={first}-{last}")
            assert got["ContentRange"] == f"bytes {first}-{last}/{len(body)}"
            assert got["Body"].read() == body[first:last + 1], (key, first, last)


def test_a_get_in_progress_keeps_its_bytes_when_the_object_is_replaced_and_deleted(s3, server, bucket):
    body = os.urandom(12 * 1024 * 1024)  # sent from its file, most of it after the delete
    s3.put_object(Bucket=bucket, Key="moving", Body=body)
    response = requests.get(server.presign("GET", bucket, "moving"), stream=True, timeout=60)
    assert response.status_code == 200
    first = response.raw.read(1024 * 1024)
    s3.put_object(Bucket=bucket, Key="moving", Body=b"replaced")
    s3.delete_object(Bucket=bucket, Key="moving")
    rest = response.raw.read()
    assert first + rest == body


def _traced_threads(pid: int) -> bool:
    """Whether every thread of `pid` has a tracer attached."""
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            status = open(f"/proc/{pid}/task/{task}/status").read()
        except FileNotFoundError:
            continue
        if "TracerPid:\t0\n" in status:
            return False
    return True


def _traced_get(server, url: str, calls: str = "sendfile,pread64") -> tuple[requests.Response, list[str]]:
    """GETs `url` while strace records the server's `calls`, each line led by its thread's id,
    descriptors with what they are (`-y`: `</dev/null>`, `<TCP:[...]>`). One file per thread
    (`-ff`), so that a call is never split into "unfinished" and "resumed" lines."""
    with tempfile.TemporaryDirectory() as work:
        trace = os.path.join(work, "trace")
        tracer = subprocess.Popen(["strace", "-ff", "-qq", "-y", "-e", f"trace={calls}", "-o", trace, "-p", str(server.process.pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while not _traced_threads(server.process.pid):
                assert time.monotonic() < deadline, "strace did not attach within 20 s"
                time.sleep(0.05)
            response = requests.get(url, timeout=60)
        finally:
            tracer.terminate()
            tracer.wait(timeout=30)
        lines = []
        for name in os.listdir(work):
            if name.startswith("trace."):
                lines += [f"{name[len('trace.'):]} {line}" for line in open(os.path.join(work, name)).read().splitlines()]
        return response, lines


def test_a_large_object_goes_from_its_file_to_the_socket_not_through_memory(s3, server, bucket):
    """A plain body of any size, its pages cached (as they are right after the PUT), is sent with
    `sendfile`. Bodies over 16 MiB used to be read in 1 MiB chunks (`pread64`) and written from
    Floe's memory: 18 % slower at GET 64 MiB, and twice the CPU per request (docs/benchmarks.md)."""
    body = os.urandom(24 * 1024 * 1024 + 5)
    s3.put_object(Bucket=bucket, Key="large-from-file", Body=body)
    response, calls = _traced_get(server, server.presign("GET", bucket, "large-from-file"))
    assert response.status_code == 200 and response.content == body
    assert any("sendfile(" in call for call in calls)
    body_reads = [call for call in calls if "pread64(" in call and ", 1048576, " in call]
    assert body_reads == []


def test_a_body_not_in_the_page_cache_is_read_in_on_the_thread_pool_not_by_the_event_loop(s3, server, bucket):
    """`sendfile` of pages that are not cached reads the disk on the event loop, and every
    connection on that loop waits meanwhile (seconds at an SD card's pace, docs/benchmarks.md).
    A range found uncached is first read into the page cache on another thread (sent to
    /dev/null: no copy), then sent from its file; a cached one is sent straight away."""
    kind = subprocess.run(["stat", "-f", "-c", "%T", server.data_dir], capture_output=True, text=True).stdout.strip()
    if kind in ("tmpfs", "overlayfs"):  # tmpfs keeps dropped pages; overlayfs has no cache of its own to drop
        pytest.skip(f"the data directory is on {kind}")
    size = 12 * 1024 * 1024 + 7
    body = os.urandom(size)
    s3.put_object(Bucket=bucket, Key="cold", Body=body)
    blob = os.open(blob_file_of(server, size), os.O_RDONLY)
    try:
        os.posix_fadvise(blob, 0, 0, os.POSIX_FADV_DONTNEED)  # synced by the PUT: clean pages, dropped
    finally:
        os.close(blob)
    url = server.presign("GET", bucket, "cold")
    response, calls = _traced_get(server, url, "sendfile")
    assert response.status_code == 200 and response.content == body
    loads = [call for call in calls if "sendfile(" in call and "</dev/null>" in call]
    sends = [call for call in calls if "sendfile(" in call and "</dev/null>" not in call]
    assert loads and sends, calls
    assert any(", [0] => [4194304], 4194304) = 4194304" in call for call in loads), loads  # the first 4 MiB window
    thread = lambda call: call.split()[0]  # noqa: E731
    assert {thread(call) for call in loads}.isdisjoint(thread(call) for call in sends), calls

    response, calls = _traced_get(server, url, "sendfile")  # the pages are cached now
    assert response.status_code == 200 and response.content == body
    assert any("sendfile(" in call for call in calls)
    assert not any("</dev/null>" in call for call in calls), calls


def _drop_cold_pages(server, size: int) -> str:
    """Drops the page cache of the one blob of `size` bytes (synced by its PUT: clean pages)."""
    path = blob_file_of(server, size)
    blob = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(blob, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(blob)
    return path


def test_a_get_dropped_at_once_reads_little_of_a_cold_body(s3, server, bucket):
    """A client that sends a GET and resets the connection at once must not have the body's
    windows read from disk for nobody: the body stops once the connection is gone, and reads no
    window ahead before its first write. Each such request read about 20 MiB of a cold 64 MiB
    object (review, helper-96); a request of a few hundred bytes could keep a disk busy."""
    kind = subprocess.run(["stat", "-f", "-c", "%T", server.data_dir], capture_output=True, text=True).stdout.strip()
    if kind in ("tmpfs", "overlayfs"):
        pytest.skip(f"the data directory is on {kind}")
    size = 64 * 1024 * 1024 + 3
    s3.put_object(Bucket=bucket, Key="dropped", Body=os.urandom(size))
    path = _drop_cold_pages(server, size)
    url = urllib.parse.urlsplit(server.presign("GET", bucket, "dropped"))
    request = f"GET {url.path}?{url.query} HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode()
    for _ in range(3):
        client = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        client.sendall(request)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # a reset, at once
    time.sleep(2)
    resident = int(subprocess.run(["fincore", "-b", "-n", "-o", "RES", path], capture_output=True, text=True, check=True).stdout.split()[0])
    assert resident <= 16 * 1024 * 1024, f"{resident} bytes of the blob read for three dropped GETs"
    assert s3.head_object(Bucket=bucket, Key="dropped")["ContentLength"] == size  # the server goes on


def test_a_blob_shorter_than_its_object_ends_the_answer_short_and_the_server_goes_on(s3, server, bucket):
    """A damaged blob (cut short on disk) is read, not sent from its file: `sendfile` would find
    no end. The answer stops short of its length, and the server answers the next request."""
    size = 2 * 1024 * 1024 + 99
    body = os.urandom(size)
    s3.put_object(Bucket=bucket, Key="damaged", Body=body)
    os.truncate(blob_file_of(server, size), size // 2)
    response = requests.get(server.presign("GET", bucket, "damaged"), stream=True, timeout=30)
    assert response.status_code == 200
    received = b""
    with pytest.raises(Exception):
        for chunk in response.iter_content(64 * 1024):
            received += chunk
    # What was read before the short read (one whole 1 MiB chunk) is all sent before the close.
    assert len(received) == 1024 * 1024 and body.startswith(received)
    started = time.monotonic()
    assert s3.head_object(Bucket=bucket, Key="damaged")["ContentLength"] == size
    assert time.monotonic() - started < 5


def _gone_within(path: str, seconds: float) -> bool:
    deadline = time.time() + seconds
    while os.path.exists(path) and time.time() < deadline:
        time.sleep(0.02)
    return not os.path.exists(path)


def test_replaced_and_deleted_blobs_leave_the_disk_but_referenced_ones_stay(s3, server, bucket):
    """A replaced or deleted object's blob is unlinked after the answer, in the background; a
    blob a version still references (behind a delete marker) stays and is read back whole."""
    size = (1 << 20) + 4321  # a size no other test stores
    first = os.urandom(size)
    s3.put_object(Bucket=bucket, Key="reclaim/over", Body=first)
    replaced = blob_file_of(server, size)
    s3.put_object(Bucket=bucket, Key="reclaim/over", Body=b"small now")
    assert s3.get_object(Bucket=bucket, Key="reclaim/over")["Body"].read() == b"small now"
    assert _gone_within(replaced, 10)
    s3.put_object(Bucket=bucket, Key="reclaim/deleted", Body=first)
    deleted = blob_file_of(server, size)
    s3.delete_object(Bucket=bucket, Key="reclaim/deleted")
    assert _gone_within(deleted, 10)

    versioned = bucket + "-v"
    s3.create_bucket(Bucket=versioned)
    s3.put_bucket_versioning(Bucket=versioned, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=versioned, Key="kept", Body=first)["VersionId"]
    kept = blob_file_of(server, size)
    s3.delete_object(Bucket=versioned, Key="kept")  # a delete marker: the version stays
    s3.put_object(Bucket=versioned, Key="kept", Body=b"newer")  # and a newer version over it
    assert not _gone_within(kept, 1)
    assert s3.get_object(Bucket=versioned, Key="kept", VersionId=version)["Body"].read() == first
    s3.delete_object(Bucket=versioned, Key="kept", VersionId=version)
    assert _gone_within(kept, 10)
    for entry in s3.list_object_versions(Bucket=versioned).get("Versions", []) + \
            s3.list_object_versions(Bucket=versioned).get("DeleteMarkers", []):
        s3.delete_object(Bucket=versioned, Key=entry["Key"], VersionId=entry["VersionId"])
    s3.delete_bucket(Bucket=versioned)
