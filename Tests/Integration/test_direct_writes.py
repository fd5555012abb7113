"""Uploads written straight to the disk where long and aligned (FLOE_DIRECT_WRITES, on by default)
and through the page cache when turned off: every byte reads back the same either way, plain or
sealed, whole and in ranges that cross from a direct stretch into a buffered tail."""
import hashlib
import random

import pytest

from floe_harness import new_server

SIZES = [1024 * 1024, 5 * 1024 * 1024 + 3, 3 * 1024 * 1024 - 4097, 300_001]


def body_of(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize("mode", ["on", "off"])
def test_objects_read_back_whichever_way_they_were_written(mode):
    instance = new_server(FLOE_DIRECT_WRITES=mode)
    try:
        s3 = instance.boto3()
        s3.create_bucket(Bucket="direct")
        bodies = {f"k{size}": body_of(size, size) for size in SIZES}
        for key, body in bodies.items():
            etag = s3.put_object(Bucket="direct", Key=key, Body=body)["ETag"]
            assert etag == f'"{hashlib.md5(body).hexdigest()}"'
        for key, body in bodies.items():
            assert s3.get_object(Bucket="direct", Key=key)["Body"].read() == body
            # A range across the last 4 KiB boundary: the direct part's end and the buffered tail.
            end = len(body) - 1
            start = max(0, (len(body) // 4096) * 4096 - 10)
            got = s3.get_object(Bucket="direct", Key=key, Range=f"bytes={start}-{end}")["Body"].read()
            assert got == body[start:]

        # Sealed (SSE-S3): frames of 64 KiB + 16 bytes, whose tails are held back to keep the
        # direct writes aligned.
        sealed = body_of(5 * 1024 * 1024 + 3, 9)
        put = s3.put_object(Bucket="direct", Key="sealed", Body=sealed, ServerSideEncryption="AES256")
        assert put["ServerSideEncryption"] == "AES256" and put["ETag"] == f'"{hashlib.md5(sealed).hexdigest()}"'
        assert s3.get_object(Bucket="direct", Key="sealed")["Body"].read() == sealed
        got = s3.get_object(Bucket="direct", Key="sealed", Range="bytes=1048570-2097160")["Body"].read()
        assert got == sealed[1048570:2097161]

        # Multipart: parts of 5 MiB and a short last one, each its own blob.
        parts = [body_of(5 * 1024 * 1024, 1), body_of(5 * 1024 * 1024 + 1, 2), body_of(77, 3)]
        upload = s3.create_multipart_upload(Bucket="direct", Key="multi")["UploadId"]
        done = []
        for number, part in enumerate(parts, start=1):
            etag = s3.upload_part(Bucket="direct", Key="multi", UploadId=upload, PartNumber=number, Body=part)["ETag"]
            done.append({"PartNumber": number, "ETag": etag})
        s3.complete_multipart_upload(Bucket="direct", Key="multi", UploadId=upload, MultipartUpload={"Parts": done})
        assert s3.get_object(Bucket="direct", Key="multi")["Body"].read() == b"".join(parts)
    finally:
        instance.stop()


def test_a_server_refuses_a_direct_writes_setting_it_does_not_know():
    with pytest.raises(RuntimeError, match="FLOE_DIRECT_WRITES must be on or off"):
        new_server(FLOE_DIRECT_WRITES="sometimes")
