"""S3 behaviours the conformance suite pointed at, pinned with boto3 and raw HTTP: conditional
writes and deletes, expected bucket owners, 404 where S3 answers 404, presigned lifetimes,
listing edge cases, chunked uploads and checksum headers of multipart completions."""
import base64
import http.client
import struct
import time
import uuid
import zlib

import requests

from floe_harness import ROOT_PASSWORD, ROOT_USER
from security_helpers import s3_outcome as code




def test_conditional_put_with_etags(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"1", IfNoneMatch="*")["ETag"]
    assert code(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"2", IfNoneMatch="*")) == (412, "PreconditionFailed")
    assert code(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"2", IfNoneMatch=etag)) == (412, "PreconditionFailed")
    s3.put_object(Bucket=bucket, Key="k", Body=b"3", IfNoneMatch='"not-the-etag"')
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"3"
    assert code(lambda: s3.put_object(Bucket=bucket, Key="gone", Body=b"", IfMatch="*")) == (404, "NoSuchKey")


def test_conditional_deletes(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"12345")
    head = s3.head_object(Bucket=bucket, Key="k")
    assert code(lambda: s3.delete_object(Bucket=bucket, Key="k", IfMatch='"bad"')) == (412, "PreconditionFailed")
    assert code(lambda: s3.delete_object(Bucket=bucket, Key="k", IfMatchSize=4)) == (412, "PreconditionFailed")
    assert code(lambda: s3.delete_object(Bucket=bucket, Key="k", IfMatchLastModifiedTime=head["LastModified"].replace(year=2000))) == (412, "PreconditionFailed")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"12345"
    s3.delete_object(Bucket=bucket, Key="k", IfMatch=put["ETag"], IfMatchSize=5, IfMatchLastModifiedTime=head["LastModified"])
    assert code(lambda: s3.head_object(Bucket=bucket, Key="k"))[0] == 404
    # Deleting what is not there succeeds, conditions or not.
    assert s3.delete_object(Bucket=bucket, Key="k", IfMatch='"bad"')["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3.put_object(Bucket=bucket, Key="a", Body=b"a")
    etag_b = s3.put_object(Bucket=bucket, Key="b", Body=b"b")["ETag"]
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "a", "ETag": '"bad"'}, {"Key": "b", "ETag": etag_b}]})
    assert [(e["Key"], e["Code"]) for e in result["Errors"]] == [("a", "PreconditionFailed")]
    assert [d["Key"] for d in result["Deleted"]] == ["b"]
    assert s3.get_object(Bucket=bucket, Key="a")["Body"].read() == b"a"


def test_expected_bucket_owner(s3, bucket):
    owner = s3.list_buckets()["Owner"]["ID"]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ExpectedBucketOwner=owner)
    assert code(lambda: s3.put_object(Bucket=bucket, Key="k2", Body=b"x", ExpectedBucketOwner=owner + "0")) == (403, "AccessDenied")
    assert code(lambda: s3.list_objects_v2(Bucket=bucket, ExpectedBucketOwner="123456789012")) == (403, "AccessDenied")
    assert code(lambda: s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"}, ExpectedSourceBucketOwner="x")) == (403, "AccessDenied")
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="k2")


def test_missing_things_are_404_where_s3_says_so(server, s3, bucket):
    gone = "gone-" + uuid.uuid4().hex[:10]
    anonymous = requests.get(f"{server.endpoint}/{gone}/key")
    assert anonymous.status_code == 404 and b"NoSuchBucket" in anonymous.content
    # A caller who may list the bucket learns a key is missing; one who may not, does not.
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"]}]}'
    assert requests.get(f"{server.endpoint}/{bucket}/missing").status_code == 403
    s3.put_bucket_policy(Bucket=bucket, Policy=policy % (bucket, bucket))
    missing = requests.get(f"{server.endpoint}/{bucket}/missing")
    assert missing.status_code == 404 and b"NoSuchKey" in missing.content


def test_presigned_lifetime_limits(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    s3 = server.boto3(signature_version="s3v4")
    # Beyond a week: malformed, 400 AuthorizationQueryParametersError as S3 (0 seconds, expired
    # on arrival, is pinned in VerifierTests; this botocore refuses to presign it).
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=604801)
    response = requests.get(url)
    assert response.status_code == 400 and b"AuthorizationQueryParametersError" in response.content


def test_listing_edge_cases(s3, bucket):
    for key in ("a", "b"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"")
    for page in (s3.list_objects(Bucket=bucket, MaxKeys=0), s3.list_objects_v2(Bucket=bucket, MaxKeys=0)):
        assert page["IsTruncated"] is False and "Contents" not in page
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, ContinuationToken="")["Contents"]] == ["a", "b"]
    assert s3.list_objects(Bucket=bucket, Prefix="\n")["Prefix"] == "\n"


def test_chunked_transfer_encoding_upload(server, bucket):
    """HTTP/1.1 chunked framing without a Content-Length (the payload hash signed as usual)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    url = f"{server.endpoint}/{bucket}/chunked"
    pieces = (b"hello ", b"chunked ", b"world")
    request = AWSRequest(method="PUT", url=url, data=b"".join(pieces), headers={"Transfer-Encoding": "chunked"})
    S3SigV4Auth(Credentials(ROOT_USER, ROOT_PASSWORD), "s3", "us-east-1").add_auth(request)
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.putrequest("PUT", f"/{bucket}/chunked", skip_accept_encoding=True, skip_host=True)
    connection.putheader("Host", f"127.0.0.1:{server.port}")
    for name, value in request.headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    for piece in pieces:
        connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
    connection.send(b"0\r\n\r\n")
    response = connection.getresponse()
    assert response.status == 200, response.read()
    assert server.boto3().get_object(Bucket=bucket, Key="chunked")["Body"].read() == b"hello chunked world"


def test_full_object_checksum_on_completion(s3, bucket):
    """The x-amz-checksum-crc32 of CompleteMultipartUpload is the whole object's, not the XML body's."""
    size = 5 * 1024 * 1024
    bodies = [b"A" * size, b"B" * size, b"C" * 1024]
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mp", ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")["UploadId"]
    parts = []
    for number, body in enumerate(bodies, 1):
        part = s3.upload_part(Bucket=bucket, Key="mp", UploadId=upload, PartNumber=number, Body=body, ChecksumAlgorithm="CRC32")
        parts.append({"ETag": part["ETag"], "ChecksumCRC32": part["ChecksumCRC32"], "PartNumber": number})
    whole = base64.b64encode(struct.pack(">I", zlib.crc32(b"".join(bodies)))).decode()
    done = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=upload, MultipartUpload={"Parts": parts}, ChecksumCRC32=whole)
    assert done["ChecksumCRC32"] == whole and done["ChecksumType"] == "FULL_OBJECT"
    part2 = s3.get_object(Bucket=bucket, Key="mp", PartNumber=2, ChecksumMode="ENABLED")
    assert part2["ChecksumCRC32"] == parts[1]["ChecksumCRC32"] and part2["ChecksumType"] == "FULL_OBJECT"


def test_tag_sets_come_back_ordered_by_key(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"", Tagging="zeta=1&alpha&mid=2")
    assert s3.get_object_tagging(Bucket=bucket, Key="k")["TagSet"] == [
        {"Key": "alpha", "Value": ""}, {"Key": "mid", "Value": "2"}, {"Key": "zeta", "Value": "1"}]
