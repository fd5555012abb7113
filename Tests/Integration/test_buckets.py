"""Bucket operations through boto3 and raw requests."""
import uuid

import pytest
from botocore.exceptions import ClientError

from floe_harness import error_code


def code_of(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_create_head_list_delete(s3):
    name = "b-" + uuid.uuid4().hex[:12]
    s3.create_bucket(Bucket=name)
    assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    listed = s3.list_buckets()
    assert name in [b["Name"] for b in listed["Buckets"]]
    assert listed["Owner"]["DisplayName"] == "floetestroot"
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None
    s3.delete_bucket(Bucket=name)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=name)
    assert e.value.response["Error"]["Code"] == "404"


def test_bucket_already_owned(s3, bucket):
    """us-east-1 answers the owner's re-creation with 200 and changes nothing (other regions: see below)."""
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key="kept", Body=b"1")
    assert s3.create_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert s3.get_object(Bucket=bucket, Key="kept")["Body"].read() == b"1"


@pytest.mark.parametrize("name", ["ab", "UPPER", "under_score", "-lead", "trail-", "a..b", "192.168.5.4", "floe", "x" * 64])
def test_invalid_bucket_names(server, name):
    response = server.signed("PUT", f"/{name}")
    assert response.status_code == 400
    assert error_code(response) == "InvalidBucketName"


def test_location_constraint_rules(server):
    name = "loc-" + uuid.uuid4().hex[:12]
    body = b'<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>'
    response = server.signed("PUT", f"/{name}", body=body)
    assert (response.status_code, error_code(response)) == (400, "InvalidLocationConstraint")
    other = body.replace(b"us-east-1", b"eu-west-1")
    response = server.signed("PUT", f"/{name}", body=other)
    assert (response.status_code, error_code(response)) == (400, "IllegalLocationConstraintException")
    response = server.signed("PUT", f"/{name}", body=b"<CreateBucketConfiguration><LocationConstraint>")
    assert (response.status_code, error_code(response)) == (400, "MalformedXML")
    empty = b'<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
    assert server.signed("PUT", f"/{name}", body=empty).status_code == 200


def test_configured_region():
    from floe_harness import new_server
    instance = new_server(FLOE_REGION="eu-central-1")
    try:
        s3 = instance.boto3()
        s3.create_bucket(Bucket="regional", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        assert s3.get_bucket_location(Bucket="regional")["LocationConstraint"] == "eu-central-1"
        with pytest.raises(ClientError) as e:
            s3.create_bucket(Bucket="regional", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
        assert code_of(e) == "BucketAlreadyOwnedByYou"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
        with pytest.raises(ClientError) as e:
            s3.create_bucket(Bucket="elsewhere", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        assert code_of(e) == "IllegalLocationConstraintException"
    finally:
        instance.cleanup()


def test_delete_non_empty_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key="x", Body=b"1")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket)
    assert code_of(e) == "BucketNotEmpty"
    s3.delete_object(Bucket=bucket, Key="x")
    s3.delete_bucket(Bucket=bucket)


def test_a_refused_delete_bucket_keeps_its_uploads_and_a_delete_of_an_empty_one_aborts_them(s3, bucket):
    """As on AWS, a bucket holding only multipart uploads in progress is deleted with them; one
    that still has objects is refused with its uploads left whole (they were aborted before the
    refusal once)."""
    s3.put_object(Bucket=bucket, Key="x", Body=b"1")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=1, Body=b"p" * 1024)
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=bucket)
    assert code_of(e) == "BucketNotEmpty"
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])] == [upload]
    assert [p["PartNumber"] for p in s3.list_parts(Bucket=bucket, Key="mp", UploadId=upload)["Parts"]] == [1]
    s3.delete_object(Bucket=bucket, Key="x")
    s3.delete_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.list_multipart_uploads(Bucket=bucket)
    assert code_of(e) == "NoSuchBucket"


def test_missing_bucket_errors(s3, server):
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket="no-such-bucket-here")
    assert code_of(e) == "NoSuchBucket"
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="no-such-bucket-here", Key="k", Body=b"")
    assert code_of(e) == "NoSuchBucket"
    response = server.signed("DELETE", "/no-such-bucket-here")
    assert response.status_code == 404
    assert b"<BucketName>no-such-bucket-here</BucketName>" in response.content


def test_get_bucket_versioning_of_new_bucket(s3, bucket):
    response = s3.get_bucket_versioning(Bucket=bucket)
    assert "Status" not in response


def test_uploads_in_progress_do_not_keep_a_bucket(s3, bucket):
    """As S3: DeleteBucket aborts the bucket's unfinished multipart uploads (objects still keep it)."""
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="big", UploadId=upload, PartNumber=1, Body=b"x" * 1024)
    s3.create_multipart_upload(Bucket=bucket, Key="other")
    s3.delete_bucket(Bucket=bucket)
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=bucket)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
