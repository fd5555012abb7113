"""Multipart uploads with aws-cli, boto3 (TransferManager), s3cmd, rclone and raw API calls."""
import base64
import concurrent.futures
import hashlib
import os
import random
import subprocess
import threading
import time
import uuid
import zlib

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from floe_harness import new_server, prepared_blob_file

MIB = 1024 * 1024


def code_of(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def write_file(path, size: int, seed: int = 1) -> str:
    """A file of `size` bytes built from a random 4 MiB block; returns its MD5."""
    block = random.Random(seed).randbytes(4 * MIB)
    digest = hashlib.md5()
    with open(path, "wb") as f:
        written = 0
        counter = 0
        while written < size:
            piece = (counter.to_bytes(8, "big") + block)[: min(4 * MIB, size - written)]
            f.write(piece)
            digest.update(piece)
            written += len(piece)
            counter += 1
    return digest.hexdigest()


def md5_of(path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MIB), b""):
            digest.update(chunk)
    return digest.hexdigest()


def multipart_etag(parts: list[bytes]) -> str:
    return '"%s-%d"' % (hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest(), len(parts))


def test_aws_cli_cp_200mb_up_and_down(server, s3, bucket, tmp_path):
    source = tmp_path / "big.bin"
    digest = write_file(source, 200 * MIB)
    server.aws("s3", "cp", str(source), f"s3://{bucket}/big.bin")
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == 200 * MIB
    assert head["ETag"].endswith('-25"')  # aws-cli's default 8 MiB parts
    back = tmp_path / "back.bin"
    server.aws("s3", "cp", f"s3://{bucket}/big.bin", str(back))
    assert md5_of(back) == digest


def test_boto3_transfer_manager_1gib_8_threads(server, s3, bucket, tmp_path):
    source = tmp_path / "gib.bin"
    digest = write_file(source, 1024 * MIB, seed=2)
    config = TransferConfig(multipart_threshold=16 * MIB, multipart_chunksize=16 * MIB, max_concurrency=8)
    s3.upload_file(str(source), bucket, "gib.bin", Config=config)
    attrs = s3.get_object_attributes(Bucket=bucket, Key="gib.bin", ObjectAttributes=["ObjectParts", "ObjectSize", "ETag"])
    assert attrs["ObjectSize"] == 1024 * MIB and attrs["ObjectParts"]["TotalPartsCount"] == 64
    os.remove(source)
    back = tmp_path / "gib.back"
    s3.download_file(bucket, "gib.bin", str(back), Config=config)
    assert md5_of(back) == digest


def test_s3cmd_multipart(server, s3, bucket, tmp_path):
    source = tmp_path / "s3cmd.bin"
    digest = write_file(source, 23 * MIB, seed=3)
    server.s3cmd("put", "--multipart-chunk-size-mb=5", str(source), f"s3://{bucket}/s3cmd.bin")
    assert s3.head_object(Bucket=bucket, Key="s3cmd.bin")["ETag"].endswith('-5"')
    back = tmp_path / "s3cmd.back"
    server.s3cmd("get", f"s3://{bucket}/s3cmd.bin", str(back))
    assert md5_of(back) == digest


def test_rclone_copy_and_check(server, bucket, tmp_path):
    tree = tmp_path / "tree"
    for i in range(12):
        path = tree / f"dir{i % 3}" / f"sub{i % 2}" / f"file {i}.dat"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(1000 * (i + 1)))
    write_file(tree / "large.bin", 70 * MIB, seed=4)
    env = dict(os.environ, RCLONE_CONFIG_FLOE_TYPE="s3", RCLONE_CONFIG_FLOE_PROVIDER="Other",
               RCLONE_CONFIG_FLOE_ACCESS_KEY_ID="floetestroot", RCLONE_CONFIG_FLOE_SECRET_ACCESS_KEY="floe-test-secret-1234",
               RCLONE_CONFIG_FLOE_ENDPOINT=server.endpoint, RCLONE_CONFIG_FLOE_REGION="us-east-1", RCLONE_CONFIG_FLOE_FORCE_PATH_STYLE="true",
               RCLONE_CONFIG=os.devnull)
    def rclone(*args):
        result = subprocess.run(["rclone", *args], env=env, capture_output=True, timeout=300)
        assert result.returncode == 0, result.stderr.decode()
        return result
    rclone("copy", "--s3-upload-cutoff", "16M", "--s3-chunk-size", "16M", str(tree), f"floe:{bucket}/tree")
    rclone("check", str(tree), f"floe:{bucket}/tree")
    back = tmp_path / "back"
    rclone("copy", f"floe:{bucket}/tree", str(back))
    assert md5_of(back / "large.bin") == md5_of(tree / "large.bin")


def test_multipart_api_rules(s3, bucket, server):
    key = "assembled.bin"
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/x-parts", Metadata={"m": "1"}, Tagging="t=1")
    uid = upload["UploadId"]
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB + 3), os.urandom(1234)]
    etags = [s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=n + 1, Body=p)["ETag"] for n, p in enumerate(parts)]
    assert etags[0] == '"%s"' % hashlib.md5(parts[0]).hexdigest()
    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=uid, MaxParts=2)
    assert [p["PartNumber"] for p in listed["Parts"]] == [1, 2] and listed["IsTruncated"]
    rest = s3.list_parts(Bucket=bucket, Key=key, UploadId=uid, PartNumberMarker=listed["NextPartNumberMarker"])
    assert [p["PartNumber"] for p in rest["Parts"]] == [3]
    uploads = s3.list_multipart_uploads(Bucket=bucket)["Uploads"]
    assert [(u["Key"], u["UploadId"]) for u in uploads] == [(key, uid)]

    def complete(part_list):
        return s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload={"Parts": part_list})

    with pytest.raises(ClientError) as e:
        complete([{"PartNumber": 2, "ETag": etags[1]}, {"PartNumber": 1, "ETag": etags[0]}])
    assert code_of(e) == "InvalidPartOrder"
    with pytest.raises(ClientError) as e:
        complete([{"PartNumber": 1, "ETag": '"00000000000000000000000000000000"'}])
    assert code_of(e) == "InvalidPart"
    with pytest.raises(ClientError) as e:
        complete([{"PartNumber": 3, "ETag": etags[2]}, {"PartNumber": 4, "ETag": etags[2]}])
    assert code_of(e) == "InvalidPart"
    small = s3.create_multipart_upload(Bucket=bucket, Key="small")["UploadId"]
    tags = [s3.upload_part(Bucket=bucket, Key="small", UploadId=small, PartNumber=n, Body=b"x" * 100)["ETag"] for n in (1, 2)]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="small", UploadId=small,
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": tags[0]}, {"PartNumber": 2, "ETag": tags[1]}]})
    assert code_of(e) == "EntityTooSmall"
    s3.abort_multipart_upload(Bucket=bucket, Key="small", UploadId=small)

    done = complete([{"PartNumber": n + 1, "ETag": t} for n, t in enumerate(etags)])
    assert done["ETag"] == multipart_etag(parts)
    # A retried completion answers with the same result.
    again = complete([{"PartNumber": n + 1, "ETag": t} for n, t in enumerate(etags)])
    assert again["ETag"] == done["ETag"]
    whole = b"".join(parts)
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["Body"].read() == whole and got["ContentType"] == "application/x-parts" and got["Metadata"] == {"m": "1"}
    assert got["TagCount"] == 1
    # Ranges map onto parts, including across a part boundary.
    start = 5 * MIB - 10
    assert s3.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{start + 19}")["Body"].read() == whole[start:start + 20]
    part2 = s3.get_object(Bucket=bucket, Key=key, PartNumber=2)
    assert part2["Body"].read() == parts[1] and part2["PartsCount"] == 3
    assert part2["ContentRange"] == f"bytes {5 * MIB}-{10 * MIB + 2}/{len(whole)}"
    assert s3.head_object(Bucket=bucket, Key=key, PartNumber=3)["ContentLength"] == 1234
    with pytest.raises(ClientError) as e:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=uid)
    assert code_of(e) == "NoSuchUpload"
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_checksum_types(s3, bucket):
    parts = [os.urandom(5 * MIB), os.urandom(777)]
    for checksum_type in ["COMPOSITE", "FULL_OBJECT"]:
        key = f"crc-{checksum_type}"
        uid = s3.create_multipart_upload(Bucket=bucket, Key=key, ChecksumAlgorithm="CRC32", ChecksumType=checksum_type)["UploadId"]
        done_parts = []
        for n, data in enumerate(parts, start=1):
            r = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=n, Body=data, ChecksumAlgorithm="CRC32")
            assert r["ChecksumCRC32"] == base64.b64encode(zlib.crc32(data).to_bytes(4, "big")).decode()
            done_parts.append({"PartNumber": n, "ETag": r["ETag"], "ChecksumCRC32": r["ChecksumCRC32"]})
        listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=uid)
        assert listed["ChecksumAlgorithm"] == "CRC32" and listed["Parts"][0]["ChecksumCRC32"] == done_parts[0]["ChecksumCRC32"]
        done = s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload={"Parts": done_parts})
        if checksum_type == "COMPOSITE":
            raw = b"".join(zlib.crc32(p).to_bytes(4, "big") for p in parts)
            expected = base64.b64encode(zlib.crc32(raw).to_bytes(4, "big")).decode() + "-2"
        else:
            expected = base64.b64encode(zlib.crc32(b"".join(parts)).to_bytes(4, "big")).decode()
        assert done["ChecksumCRC32"] == expected
        head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        assert head["ChecksumCRC32"] == expected and head["ChecksumType"] == checksum_type
        attrs = s3.get_object_attributes(Bucket=bucket, Key=key, ObjectAttributes=["Checksum", "ObjectParts", "StorageClass", "ObjectSize", "ETag"])
        assert attrs["Checksum"]["ChecksumCRC32"] == expected and attrs["ObjectParts"]["TotalPartsCount"] == 2
        assert attrs["ObjectParts"]["Parts"][1]["ChecksumCRC32"] == done_parts[1]["ChecksumCRC32"]
        assert attrs["ObjectSize"] == sum(map(len, parts)) and attrs["StorageClass"] == "STANDARD"


def test_upload_part_copy_with_range(s3, bucket):
    source = os.urandom(12 * MIB)
    s3.put_object(Bucket=bucket, Key="copy-source", Body=source)
    uid = s3.create_multipart_upload(Bucket=bucket, Key="copied")["UploadId"]
    first = s3.upload_part_copy(Bucket=bucket, Key="copied", UploadId=uid, PartNumber=1,
                                CopySource={"Bucket": bucket, "Key": "copy-source"}, CopySourceRange=f"bytes=0-{6 * MIB - 1}")
    second = s3.upload_part_copy(Bucket=bucket, Key="copied", UploadId=uid, PartNumber=2,
                                 CopySource={"Bucket": bucket, "Key": "copy-source"}, CopySourceRange=f"bytes={6 * MIB}-{12 * MIB - 1}")
    with pytest.raises(ClientError) as e:
        s3.upload_part_copy(Bucket=bucket, Key="copied", UploadId=uid, PartNumber=3, CopySource={"Bucket": bucket, "Key": "copy-source"},
                            CopySourceIfMatch='"nope"')
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    s3.complete_multipart_upload(Bucket=bucket, Key="copied", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": first["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": second["CopyPartResult"]["ETag"]}]})
    assert s3.get_object(Bucket=bucket, Key="copied")["Body"].read() == source


def test_list_uploads_with_delimiter_and_markers(s3, bucket):
    ids = {}
    for key in ["a/1", "a/2", "b", "c/d/e", "b"]:
        ids.setdefault(key, []).append(s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"])
    page = s3.list_multipart_uploads(Bucket=bucket, Delimiter="/")
    assert [u["Key"] for u in page["Uploads"]] == ["b", "b"]
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a/", "c/"]
    seen = []
    for p in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, PaginationConfig={"PageSize": 2}):
        seen += [(u["Key"], u["UploadId"]) for u in p.get("Uploads", [])]
    assert sorted(seen) == sorted((k, u) for k, us in ids.items() for u in us) and len(seen) == 5
    for key, uploads in ids.items():
        for uid in uploads:
            s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=uid)


def test_parallel_complete_and_abort_stay_consistent(server, s3, bucket):
    for round_ in range(4):
        key = f"race-{round_}"
        uid = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=b"only part")["ETag"]
        results = {}

        def complete():
            try:
                server.boto3().complete_multipart_upload(Bucket=bucket, Key=key, UploadId=uid, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
                results["complete"] = "ok"
            except ClientError as error:
                results["complete"] = error.response["Error"]["Code"]

        def abort():
            try:
                server.boto3().abort_multipart_upload(Bucket=bucket, Key=key, UploadId=uid)
                results["abort"] = "ok"
            except ClientError as error:
                results["abort"] = error.response["Error"]["Code"]

        threads = [threading.Thread(target=complete), threading.Thread(target=abort)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        exists = s3.list_objects_v2(Bucket=bucket, Prefix=key)["KeyCount"] == 1
        assert (results["complete"] == "ok") == exists
        assert results["complete"] == "ok" or results["abort"] == "ok"
        # A completion that lost the race answers as on an ended upload, never InvalidPart.
        assert results["complete"] in ("ok", "NoSuchUpload")
        if exists:
            assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"only part"
        assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket, Prefix=key)


def test_racing_duplicate_completions_both_answer_the_one_version(server, s3, bucket):
    """A CompleteMultipartUpload sent twice at once (a client's retry while the first is still in
    flight) answers 200 to both, with the one version made (the second got NoSuchUpload or
    InvalidPart when it had read the upload before the first committed)."""
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for round_ in range(12):
        key = f"twice-{round_}"
        uid = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        etag = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=b"only part")["ETag"]
        clients = [server.boto3(), server.boto3()]
        start = threading.Barrier(2)
        answers = [None, None]

        def complete(index):
            start.wait()
            try:
                answers[index] = clients[index].complete_multipart_upload(
                    Bucket=bucket, Key=key, UploadId=uid, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
            except ClientError as error:
                answers[index] = error.response["Error"]["Code"]

        threads = [threading.Thread(target=complete, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(isinstance(a, dict) for a in answers), answers
        assert answers[0]["ETag"] == answers[1]["ETag"] and answers[0]["VersionId"] == answers[1]["VersionId"]
        versions = s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
        assert [v["VersionId"] for v in versions] == [answers[0]["VersionId"]]


def test_stale_uploads_are_aborted():
    instance = new_server(FLOE_MULTIPART_EXPIRY="2")
    try:
        s3 = instance.boto3()
        s3.create_bucket(Bucket="stale")
        uid = s3.create_multipart_upload(Bucket="stale", Key="abandoned")["UploadId"]
        s3.upload_part(Bucket="stale", Key="abandoned", UploadId=uid, PartNumber=1, Body=b"p" * 1000)
        deadline = time.time() + 15
        while time.time() < deadline and "Uploads" in s3.list_multipart_uploads(Bucket="stale"):
            time.sleep(0.25)
        assert "Uploads" not in s3.list_multipart_uploads(Bucket="stale")
        blobs = os.path.join(instance.data_dir, "data", "blobs", "objects")
        # Empty files of mode 0600 are prepared for uploads to come (PreparedBlobFiles).
        assert [f for d, _, files in os.walk(blobs) for f in files if not prepared_blob_file(os.path.join(d, f))] == []
    finally:
        instance.cleanup()


def test_kill_9_during_complete_leaves_whole_object_or_none():
    instance = new_server()
    try:
        s3 = instance.boto3()
        s3.create_bucket(Bucket="crash-mpu")
        prepared = []
        for i in range(12):
            key = f"obj-{i}"
            parts = [random.Random(i * 10 + n).randbytes(5 * MIB) for n in range(2)]
            uid = s3.create_multipart_upload(Bucket="crash-mpu", Key=key)["UploadId"]
            etags = [s3.upload_part(Bucket="crash-mpu", Key=key, UploadId=uid, PartNumber=n + 1, Body=p)["ETag"] for n, p in enumerate(parts)]
            prepared.append((key, uid, etags, hashlib.md5(b"".join(parts)).hexdigest()))

        def complete(entry):
            key, uid, etags, _ = entry
            try:
                instance.boto3().complete_multipart_upload(Bucket="crash-mpu", Key=key, UploadId=uid,
                                                           MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})
                return key
            except Exception:
                return None

        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            futures = [pool.submit(complete, entry) for entry in prepared]
            time.sleep(0.02)
            instance.kill9()
            acknowledged = {f.result() for f in futures} - {None}
        instance.port = 0
        instance.start()
        s3 = instance.boto3()
        listed = {o["Key"] for o in s3.list_objects_v2(Bucket="crash-mpu").get("Contents", [])}
        pending = {u["Key"] for u in s3.list_multipart_uploads(Bucket="crash-mpu").get("Uploads", [])}
        for key, uid, etags, digest in prepared:
            assert (key in listed) != (key in pending), key  # completed or still an open upload, never both or neither
            if key in acknowledged:
                assert key in listed
            if key in listed:
                assert hashlib.md5(s3.get_object(Bucket="crash-mpu", Key=key)["Body"].read()).hexdigest() == digest
    finally:
        instance.cleanup()
