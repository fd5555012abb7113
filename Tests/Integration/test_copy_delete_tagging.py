"""CopyObject, DeleteObjects, tagging, conditional writes and GetObjectAttributes."""
import base64
import concurrent.futures
import hashlib
import time
import uuid
from email.utils import formatdate

import pytest
from botocore.exceptions import ClientError

from floe_harness import error_code


def code_of(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def status_of(excinfo) -> int:
    return excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_copy_object_directives(s3, bucket):
    other = "dst-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=other)
    key = "src dir/a+b=c é.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=b"payload", ContentType="text/plain", Metadata={"a": "1"}, Tagging="t=1")
    result = s3.copy_object(Bucket=other, Key="copy", CopySource={"Bucket": bucket, "Key": key})
    assert result["CopyObjectResult"]["ETag"] == '"%s"' % hashlib.md5(b"payload").hexdigest()
    got = s3.get_object(Bucket=other, Key="copy")
    assert got["Body"].read() == b"payload" and got["ContentType"] == "text/plain" and got["Metadata"] == {"a": "1"}
    assert got["TagCount"] == 1
    s3.copy_object(Bucket=other, Key="replaced", CopySource={"Bucket": bucket, "Key": key}, MetadataDirective="REPLACE",
                   ContentType="application/json", Metadata={"b": "2"}, TaggingDirective="REPLACE", Tagging="x=1&y=2")
    got = s3.get_object(Bucket=other, Key="replaced")
    assert got["ContentType"] == "application/json" and got["Metadata"] == {"b": "2"} and got["TagCount"] == 2


def test_copy_onto_itself_needs_replace(s3, bucket):
    s3.put_object(Bucket=bucket, Key="self", Body=b"x", Metadata={"v": "1"})
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert code_of(e) == "InvalidRequest"
    s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"}, MetadataDirective="REPLACE", Metadata={"v": "2"})
    assert s3.head_object(Bucket=bucket, Key="self")["Metadata"] == {"v": "2"}


def test_copy_source_conditions_and_errors(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="cond-src", Body=b"x")["ETag"]
    s3.copy_object(Bucket=bucket, Key="c1", CopySource={"Bucket": bucket, "Key": "cond-src"}, CopySourceIfMatch=etag)
    for kwargs in [{"CopySourceIfMatch": '"other"'}, {"CopySourceIfNoneMatch": etag},
                   {"CopySourceIfUnmodifiedSince": formatdate(time.time() - 3600, usegmt=True)},
                   {"CopySourceIfModifiedSince": formatdate(time.time() + 3600, usegmt=True)}]:
        with pytest.raises(ClientError) as e:
            s3.copy_object(Bucket=bucket, Key="c2", CopySource={"Bucket": bucket, "Key": "cond-src"}, **kwargs)
        assert (code_of(e), status_of(e)) == ("PreconditionFailed", 412), kwargs
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="c3", CopySource={"Bucket": bucket, "Key": "missing"})
    assert code_of(e) == "NoSuchKey"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=bucket, Key="c3", CopySource={"Bucket": "no-such-source-bucket", "Key": "x"})
    assert code_of(e) == "NoSuchBucket"


def test_copy_multipart_source_becomes_single_part(s3, bucket):
    uid = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    parts = [b"a" * (5 * 1024 * 1024), b"b" * 10]
    etags = [s3.upload_part(Bucket=bucket, Key="mp", UploadId=uid, PartNumber=n + 1, Body=p)["ETag"] for n, p in enumerate(parts)]
    s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=uid,
                                 MultipartUpload={"Parts": [{"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})
    copied = s3.copy_object(Bucket=bucket, Key="mp-copy", CopySource={"Bucket": bucket, "Key": "mp"})
    assert copied["CopyObjectResult"]["ETag"] == '"%s"' % hashlib.md5(b"".join(parts)).hexdigest()


def test_delete_objects_quiet_and_verbose(s3, bucket, server):
    for i in range(5):
        s3.put_object(Bucket=bucket, Key=f"d/{i}", Body=b"x")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": f"d/{i}"} for i in range(3)] + [{"Key": "d/missing"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["d/0", "d/1", "d/2", "d/missing"]
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "d/3"}, {"Key": "d/4"}], "Quiet": True})
    assert "Deleted" not in quiet and "Errors" not in quiet
    assert s3.list_objects_v2(Bucket=bucket, Prefix="d/")["KeyCount"] == 0
    body = b"<Delete><Object><Key>k</Key></Object></Delete>"
    response = server.signed("POST", f"/{bucket}", body=body, params={"delete": ""})
    assert (response.status_code, error_code(response)) == (400, "InvalidRequest")
    md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    response = server.signed("POST", f"/{bucket}", body=body, params={"delete": ""}, headers={"Content-MD5": md5})
    assert (response.status_code, error_code(response)) == (400, "BadDigest")
    too_many = b"<Delete>" + b"".join(b"<Object><Key>k%d</Key></Object>" % i for i in range(1001)) + b"</Delete>"
    md5 = base64.b64encode(hashlib.md5(too_many).digest()).decode()
    response = server.signed("POST", f"/{bucket}", body=too_many, params={"delete": ""}, headers={"Content-MD5": md5})
    assert (response.status_code, error_code(response)) == (400, "MalformedXML")
    long_key = b"<Delete><Object><Key>" + b"k" * 1100 + b"</Key></Object></Delete>"
    md5 = base64.b64encode(hashlib.md5(long_key).digest()).decode()
    response = server.signed("POST", f"/{bucket}", body=long_key, params={"delete": ""}, headers={"Content-MD5": md5})
    assert response.status_code == 200 and b"<Code>KeyTooLongError</Code>" in response.content


def test_delete_objects_in_versioned_bucket(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket=bucket, Key="a", Body=b"1")["VersionId"]
    s3.put_object(Bucket=bucket, Key="b", Body=b"2")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}]})
    assert all(d["DeleteMarker"] and d["DeleteMarkerVersionId"] for d in result["Deleted"])
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a", "VersionId": v1}]})
    assert result["Deleted"][0]["VersionId"] == v1
    assert len(s3.list_object_versions(Bucket=bucket, Prefix="a").get("Versions", [])) == 0


def test_object_and_bucket_tagging(s3, bucket):
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="a=1")
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == [{"Key": "a", "Value": "1"}]
    s3.put_object_tagging(Bucket=bucket, Key="tagged", Tagging={"TagSet": [{"Key": "team", "Value": "data"}, {"Key": "zone", "Value": "raw"}]})
    assert s3.head_object(Bucket=bucket, Key="tagged")["ResponseMetadata"]["HTTPHeaders"]["x-amz-tagging-count"] == "2"
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="tagged", Tagging={"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]})
    assert code_of(e) == "InvalidTag"
    with pytest.raises(ClientError) as e:
        s3.put_object_tagging(Bucket=bucket, Key="tagged", Tagging={"TagSet": [{"Key": "k" * 129, "Value": "v"}]})
    assert code_of(e) == "InvalidTag"
    s3.delete_object_tagging(Bucket=bucket, Key="tagged")
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == []
    with pytest.raises(ClientError) as e:
        s3.get_bucket_tagging(Bucket=bucket)
    assert code_of(e) == "NoSuchTagSet"
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "owner", "Value": "lakehouse"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "owner", "Value": "lakehouse"}]
    s3.delete_bucket_tagging(Bucket=bucket)
    with pytest.raises(ClientError):
        s3.get_bucket_tagging(Bucket=bucket)


def test_tagging_a_specific_version(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    old = s3.put_object(Bucket=bucket, Key="v", Body=b"1")["VersionId"]
    s3.put_object(Bucket=bucket, Key="v", Body=b"2")
    s3.put_object_tagging(Bucket=bucket, Key="v", VersionId=old, Tagging={"TagSet": [{"Key": "old", "Value": "yes"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="v", VersionId=old)["TagSet"] == [{"Key": "old", "Value": "yes"}]
    assert s3.get_object_tagging(Bucket=bucket, Key="v")["TagSet"] == []


def test_conditional_writes(s3, bucket, server):
    s3.put_object(Bucket=bucket, Key="once", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="once", Body=b"second", IfNoneMatch="*")
    assert (code_of(e), status_of(e)) == ("PreconditionFailed", 412)
    etag = s3.head_object(Bucket=bucket, Key="once")["ETag"]
    s3.put_object(Bucket=bucket, Key="once", Body=b"updated", IfMatch=etag)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="once", Body=b"stale", IfMatch=etag)
    assert status_of(e) == 412
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=bucket, Key="absent", Body=b"x", IfMatch=etag)
    assert (code_of(e), status_of(e)) == ("NoSuchKey", 404)
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b"updated"
    # Multipart completion honours If-None-Match too.
    uid = s3.create_multipart_upload(Bucket=bucket, Key="once")["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key="once", UploadId=uid, PartNumber=1, Body=b"mp")["ETag"]
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=bucket, Key="once", UploadId=uid, IfNoneMatch="*",
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part}]})
    assert status_of(e) == 412


def test_if_none_match_race_has_one_winner(server, bucket):
    def attempt(i):
        try:
            server.boto3().put_object(Bucket=bucket, Key="race", Body=f"writer {i}".encode(), IfNoneMatch="*")
            return i
        except ClientError as error:
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 412
            return None
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        winners = [w for w in pool.map(attempt, range(24)) if w is not None]
    assert len(winners) == 1
    assert server.boto3().get_object(Bucket=bucket, Key="race")["Body"].read() == f"writer {winners[0]}".encode()


def test_get_object_attributes_single_part(s3, bucket):
    s3.put_object(Bucket=bucket, Key="attrs", Body=b"hello", ChecksumAlgorithm="SHA256", StorageClass="STANDARD_IA")
    attrs = s3.get_object_attributes(Bucket=bucket, Key="attrs", ObjectAttributes=["ETag", "Checksum", "StorageClass", "ObjectSize", "ObjectParts"])
    assert attrs["ETag"] == hashlib.md5(b"hello").hexdigest()
    assert attrs["Checksum"]["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(b"hello").digest()).decode()
    assert attrs["StorageClass"] == "STANDARD_IA" and attrs["ObjectSize"] == 5
    assert "ObjectParts" not in attrs
