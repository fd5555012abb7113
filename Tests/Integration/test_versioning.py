"""Versioned buckets as AWS defines them: version ids, delete markers, null versions, listing."""
import base64
import concurrent.futures
import hashlib
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from floe_harness import error_code


def code_of(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def versioned(s3, bucket):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def test_versioning_status(s3, bucket, server):
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    body = b'<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>'
    response = server.signed("PUT", f"/{bucket}", body=body, params={"versioning": ""})
    assert (response.status_code, error_code(response)) == (501, "NotImplemented")
    response = server.signed("PUT", f"/{bucket}", body=b"<VersioningConfiguration><Status>On</Status></VersioningConfiguration>", params={"versioning": ""})
    assert (response.status_code, error_code(response)) == (400, "MalformedXML")


def test_overwrites_keep_every_version(s3, versioned):
    ids = []
    for i in range(3):
        ids.append(s3.put_object(Bucket=versioned, Key="doc", Body=f"v{i}".encode())["VersionId"])
    assert len(set(ids)) == 3 and "null" not in ids
    for i, vid in enumerate(ids):
        got = s3.get_object(Bucket=versioned, Key="doc", VersionId=vid)
        assert got["Body"].read() == f"v{i}".encode() and got["VersionId"] == vid
    assert s3.get_object(Bucket=versioned, Key="doc")["Body"].read() == b"v2"
    listed = s3.list_object_versions(Bucket=versioned)
    assert [v["VersionId"] for v in listed["Versions"]] == list(reversed(ids))
    assert [v["IsLatest"] for v in listed["Versions"]] == [True, False, False]


def test_delete_markers(s3, versioned, server):
    first = s3.put_object(Bucket=versioned, Key="k", Body=b"data")["VersionId"]
    deleted = s3.delete_object(Bucket=versioned, Key="k")
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=versioned, Key="k")
    assert code_of(e) == "NoSuchKey"
    assert e.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
    response = server.signed("GET", f"/{versioned}/k", params={"versionId": marker})
    assert (response.status_code, error_code(response)) == (405, "MethodNotAllowed")
    assert response.headers["x-amz-delete-marker"] == "true"
    assert server.signed("HEAD", f"/{versioned}/k", params={"versionId": marker}).status_code == 405
    assert s3.list_objects_v2(Bucket=versioned)["KeyCount"] == 0
    listed = s3.list_object_versions(Bucket=versioned)
    assert [m["VersionId"] for m in listed["DeleteMarkers"]] == [marker]
    assert listed["DeleteMarkers"][0]["IsLatest"] is True
    # The old version still reads by id; removing the marker brings the object back.
    assert s3.get_object(Bucket=versioned, Key="k", VersionId=first)["Body"].read() == b"data"
    removed = s3.delete_object(Bucket=versioned, Key="k", VersionId=marker)
    assert removed["DeleteMarker"] is True and removed["VersionId"] == marker
    assert s3.get_object(Bucket=versioned, Key="k")["Body"].read() == b"data"


def test_restore_by_copying_an_old_version(s3, versioned):
    old = s3.put_object(Bucket=versioned, Key="report.csv", Body=b"good")["VersionId"]
    s3.put_object(Bucket=versioned, Key="report.csv", Body=b"bad overwrite")
    copied = s3.copy_object(Bucket=versioned, Key="report.csv", CopySource={"Bucket": versioned, "Key": "report.csv", "VersionId": old})
    assert copied["CopySourceVersionId"] == old
    assert s3.get_object(Bucket=versioned, Key="report.csv")["Body"].read() == b"good"
    assert len(s3.list_object_versions(Bucket=versioned, Prefix="report.csv")["Versions"]) == 3


def test_permanent_delete_and_missing_versions(s3, versioned):
    a = s3.put_object(Bucket=versioned, Key="p", Body=b"a")["VersionId"]
    b = s3.put_object(Bucket=versioned, Key="p", Body=b"b")["VersionId"]
    s3.delete_object(Bucket=versioned, Key="p", VersionId=b)
    assert s3.get_object(Bucket=versioned, Key="p")["Body"].read() == b"a"
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=versioned, Key="p", VersionId=b)
    assert code_of(e) == "NoSuchVersion"
    s3.delete_object(Bucket=versioned, Key="p", VersionId=a)
    assert "Versions" not in s3.list_object_versions(Bucket=versioned, Prefix="p")


def test_suspended_null_version_rules(s3, bucket):
    s3.put_object(Bucket=bucket, Key="n", Body=b"unversioned")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    kept = s3.put_object(Bucket=bucket, Key="n", Body=b"versioned")["VersionId"]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    put = s3.put_object(Bucket=bucket, Key="n", Body=b"suspended")
    # The null version a suspended bucket writes is not announced (AWS's documented answer);
    # GET and HEAD of it name it.
    assert "VersionId" not in put
    assert s3.head_object(Bucket=bucket, Key="n")["VersionId"] == "null"
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]
    # The suspended write replaced the original null version; the enabled-era version stays.
    assert sorted(v["VersionId"] for v in versions) == sorted(["null", kept])
    assert s3.get_object(Bucket=bucket, Key="n", VersionId="null")["Body"].read() == b"suspended"
    deleted = s3.delete_object(Bucket=bucket, Key="n")
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] == "null"
    listed = s3.list_object_versions(Bucket=bucket)
    assert [v["VersionId"] for v in listed.get("Versions", [])] == [kept]
    assert [m["VersionId"] for m in listed["DeleteMarkers"]] == ["null"]


def test_bucket_with_versions_is_not_empty(s3, versioned):
    s3.put_object(Bucket=versioned, Key="x", Body=b"1")
    s3.delete_object(Bucket=versioned, Key="x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=versioned)
    assert code_of(e) == "BucketNotEmpty"


def test_list_versions_pages_with_delimiter(s3, versioned):
    expected = []
    for key in ["a/1", "a/2", "b", "c/x", "d"]:
        for i in range(3):
            vid = s3.put_object(Bucket=versioned, Key=key, Body=f"{key}{i}".encode())["VersionId"]
            if "/" not in key:
                expected.append((key, vid))
    paginator = s3.get_paginator("list_object_versions")
    seen, prefixes, pages = [], [], 0
    for page in paginator.paginate(Bucket=versioned, Delimiter="/", PaginationConfig={"PageSize": 2}):
        pages += 1
        seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert sorted(seen) == sorted(expected) and len(seen) == 6
    assert prefixes == ["a/", "c/"]
    assert pages == 4
    # Without a delimiter: 15 versions, newest first within each key, over pages of 4.
    all_versions = []
    for page in paginator.paginate(Bucket=versioned, PaginationConfig={"PageSize": 4}):
        all_versions += page.get("Versions", [])
    assert len(all_versions) == 15
    assert [v["Key"] for v in all_versions] == sorted(v["Key"] for v in all_versions)


def test_parallel_puts_keep_every_version(server, s3, versioned):
    def put(i):
        return server.boto3().put_object(Bucket=versioned, Key="hot", Body=f"writer {i}".encode())["VersionId"]
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(put, range(16)))
    versions = s3.list_object_versions(Bucket=versioned, Prefix="hot")["Versions"]
    assert len(versions) == 16 and sorted(v["VersionId"] for v in versions) == sorted(ids)
    assert sum(v["IsLatest"] for v in versions) == 1


def test_aws_cli_version_flow(server, tmp_path):
    bucket = "ver-" + uuid.uuid4().hex[:12]
    server.aws("s3api", "create-bucket", "--bucket", bucket)
    server.aws("s3api", "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled")
    status = json.loads(server.aws("s3api", "get-bucket-versioning", "--bucket", bucket).stdout)
    assert status["Status"] == "Enabled"
    ids = []
    for body in (b"one", b"two"):
        path = tmp_path / "body"
        path.write_bytes(body)
        out = server.aws("s3api", "put-object", "--bucket", bucket, "--key", "f", "--body", str(path))
        ids.append(json.loads(out.stdout)["VersionId"])
    listed = json.loads(server.aws("s3api", "list-object-versions", "--bucket", bucket).stdout)
    assert [v["VersionId"] for v in listed["Versions"]] == list(reversed(ids))
    server.aws("s3api", "delete-object", "--bucket", bucket, "--key", "f", "--version-id", ids[1])
    assert json.loads(server.aws("s3api", "head-object", "--bucket", bucket, "--key", "f").stdout)["VersionId"] == ids[0]


def test_configuration_bodies_are_checked_against_their_digest(s3, bucket, server):
    """PutBucketVersioning, CompleteMultipartUpload and CreateBucket read XML through one verified path."""
    body = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
    wrong_md5 = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    response = server.signed("PUT", f"/{bucket}", body=body, params={"versioning": ""}, headers={"Content-MD5": wrong_md5})
    assert (response.status_code, error_code(response)) == (400, "BadDigest")
    assert "Status" not in s3.get_bucket_versioning(Bucket=bucket)
    right_md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    response = server.signed("PUT", f"/{bucket}", body=body, params={"versioning": ""}, headers={"Content-MD5": right_md5})
    assert response.status_code == 200, response.content
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    config = b"<CreateBucketConfiguration><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>"
    name = f"digest-{uuid.uuid4().hex[:8]}"
    response = server.signed("PUT", f"/{name}", body=config, headers={"Content-MD5": wrong_md5})
    assert (response.status_code, error_code(response)) == (400, "BadDigest")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="digest-mp")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="digest-mp", UploadId=upload, PartNumber=1, Body=b"x")["ETag"]
    complete = f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part></CompleteMultipartUpload>".encode()
    response = server.signed("POST", f"/{bucket}/digest-mp", body=complete, params={"uploadId": upload}, headers={"Content-MD5": wrong_md5})
    assert (response.status_code, error_code(response)) == (400, "BadDigest")
    s3.complete_multipart_upload(Bucket=bucket, Key="digest-mp", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object(Bucket=bucket, Key="digest-mp")["Body"].read() == b"x"


def test_delete_page_by_page_with_markers_of_deleted_versions(s3, versioned):
    """A cleanup loop lists a page, deletes it, and asks for the next page with markers that
    name versions it just deleted: the listing goes on with what remains, losing nothing."""
    expected = set()
    for key in ("a", "b"):
        for n in range(3):
            expected.add((key, s3.put_object(Bucket=versioned, Key=key, Body=b"%d" % n)["VersionId"]))
    seen, kwargs = set(), {"Bucket": versioned, "MaxKeys": 2}
    for _ in range(10):
        page = s3.list_object_versions(**kwargs)
        versions = [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
        seen.update(versions)
        s3.delete_objects(Bucket=versioned, Delete={"Objects": [{"Key": k, "VersionId": v} for k, v in versions], "Quiet": True})
        if not page["IsTruncated"]:
            break
        kwargs.update(KeyMarker=page["NextKeyMarker"], VersionIdMarker=page["NextVersionIdMarker"])
    assert seen == expected
    assert "Versions" not in s3.list_object_versions(Bucket=versioned)
