"""Adversarial review of the S3 surface added for conformance (ACLs, Public Access Block, POST
Object, CORS, access logging, bucket owners): each test reproduces a finding and failed before
its fix."""
import json
import socket
import time
import uuid

import pytest
import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from floe_harness import ROOT_PASSWORD, ROOT_USER, new_server
from security_helpers import admin, s3_error, user_with_policies
from test_post_object import post, v2_form


def policy(statements):
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def new_bucket(client, **kwargs):
    name = "sec-" + uuid.uuid4().hex[:16]
    client.create_bucket(Bucket=name, **kwargs)
    return name


def test_acl_headers_on_writes_need_the_acl_actions(server, s3):
    bucket = new_bucket(s3, ObjectOwnership="ObjectWriter")
    writer, _, _ = user_with_policies(server, ["writeonly"], "wo")
    assert s3_error(lambda: writer.put_object(Bucket=bucket, Key="pub", Body=b"x", ACL="public-read")) == "AccessDenied"
    assert requests.get(f"{server.endpoint}/{bucket}/pub").status_code in (403, 404)
    name = "denyacl-" + uuid.uuid4().hex[:8]
    admin(server, "PUT", f"policies/{name}", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::*"},
        {"Effect": "Deny", "Action": ["s3:PutObjectAcl", "s3:PutBucketAcl"], "Resource": "arn:aws:s3:::*"}]})
    denied, _, _ = user_with_policies(server, [name], "nd")
    s3.put_object(Bucket=bucket, Key="src", Body=b"s")
    attempts = {
        "put": lambda: denied.put_object(Bucket=bucket, Key="a", Body=b"", ACL="public-read"),
        "copy": lambda: denied.copy_object(Bucket=bucket, Key="b", CopySource={"Bucket": bucket, "Key": "src"}, ACL="public-read"),
        "multipart": lambda: denied.create_multipart_upload(Bucket=bucket, Key="c", ACL="public-read"),
        "grant": lambda: denied.put_object(Bucket=bucket, Key="d", Body=b"", GrantRead='uri="http://acs.amazonaws.com/groups/global/AllUsers"'),
        "bucket": lambda: denied.create_bucket(Bucket="sec-" + uuid.uuid4().hex[:12], ObjectOwnership="ObjectWriter", ACL="public-read-write"),
    }
    for what, attempt in attempts.items():
        assert s3_error(attempt) == "AccessDenied", what
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["src"]


def test_a_settings_write_never_undoes_another(server, s3, bucket):
    """A slow PutBucketCors (body still arriving) finishing after PutPublicAccessBlock leaves the block in place."""
    body = b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>"
    request = AWSRequest(method="PUT", url=f"{server.endpoint}/{bucket}?cors", data=body, headers={"Content-Length": str(len(body))})
    S3SigV4Auth(Credentials(ROOT_USER, ROOT_PASSWORD), "s3", "us-east-1").add_auth(request)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as slow:
        head = f"PUT /{bucket}?cors HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in request.headers.items()) + "\r\n"
        slow.sendall(head.encode() + body[:10])
        time.sleep(0.3)
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
        slow.sendall(body[10:])
        assert b" 200 " in slow.recv(4096).split(b"\r\n")[0]
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"][0]["ObjectOwnership"] == "BucketOwnerPreferred"
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"][0]["AllowedOrigins"] == ["*"]


def test_post_object_headers_are_not_form_fields(server, s3, bucket):
    s3.put_bucket_policy(Bucket=bucket, Policy=policy([{
        "Effect": "Allow", "Principal": "*", "Action": ["s3:PutObject", "s3:PutObjectTagging"], "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"s3:RequestObjectTag/source": "web"}}}]))
    files = [("key", "untagged"), ("file", ("f", b"x"))]
    sneaky = requests.post(f"{server.endpoint}/{bucket}", files=files, headers={"x-amz-tagging": "source=web"})
    assert sneaky.status_code == 403
    tagging = "<Tagging><TagSet><Tag><Key>source</Key><Value>web</Value></Tag></TagSet></Tagging>"
    honest = requests.post(f"{server.endpoint}/{bucket}", files=[("key", "tagged"), ("tagging", tagging), ("file", ("f", b"x"))])
    assert honest.status_code == 204
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["tagged"]


def test_post_object_limits_hold_while_streaming(server, s3, bucket):
    fields = v2_form(bucket, [{"bucket": bucket}, ["starts-with", "$key", ""], ["content-length-range", 0, 10]], key="big")
    response = post(server, bucket, fields, body=b"x" * (4 << 20))
    assert response.status_code == 400 and b"EntityTooLarge" in response.content
    s3.put_bucket_policy(Bucket=bucket, Policy=policy([{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]))
    empty_parts = b"".join(b'--B\r\nContent-Disposition: form-data; name=""\r\n\r\n\r\n' for _ in range(2000))
    flood = requests.post(f"{server.endpoint}/{bucket}", data=empty_parts + b"--B--\r\n", headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert flood.status_code == 400 and b"MaxPostPreDataLengthExceeded" in flood.content
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_public_access_block_judges_policies_as_s3_does(server, s3):
    owner, _, _ = user_with_policies(server, ["bucket-owner"], "own")
    other, _, _ = user_with_policies(server, ["bucket-owner"], "oth")
    bucket = new_bucket(owner)
    owner.put_object(Bucket=bucket, Key="k", Body=b"secret")
    owner.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": True, "RestrictPublicBuckets": False})
    for condition in ({"StringLike": {"aws:UserAgent": "*"}}, {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, {"Null": {"aws:Referer": "true"}}):
        public = policy([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*", "Condition": condition}])
        assert s3_error(lambda: owner.put_bucket_policy(Bucket=bucket, Policy=public)) == "AccessDenied", condition
    narrow = policy([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*",
                      "Condition": {"IpAddress": {"aws:SourceIp": "10.1.2.0/24"}}}])
    owner.put_bucket_policy(Bucket=bucket, Policy=narrow)
    assert owner.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False
    # RestrictPublicBuckets: a public policy admits neither anonymous callers nor other users.
    owner.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    owner.put_bucket_policy(Bucket=bucket, Policy=policy([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]))
    assert owner.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    assert s3_error(lambda: other.get_object(Bucket=bucket, Key="k")) == "AccessDenied"
    assert requests.get(f"{server.endpoint}/{bucket}/k").status_code == 403
    assert owner.get_object(Bucket=bucket, Key="k")["Body"].read() == b"secret"


def test_bucket_write_grant_does_not_tag_existing_objects(server, s3):
    owner, owner_id, _ = user_with_policies(server, ["bucket-owner"], "own")
    dropper, dropper_id, _ = user_with_policies(server, ["bucket-owner"], "drop")
    bucket = new_bucket(owner, ObjectOwnership="ObjectWriter")
    owner.put_object(Bucket=bucket, Key="confidential", Body=b"c")
    owner.put_bucket_acl(Bucket=bucket, GrantWrite=f'id="{dropper_id}"', GrantFullControl=f'id="{owner_id}"')
    dropper.put_object(Bucket=bucket, Key="dropped", Body=b"d")
    assert s3_error(lambda: dropper.put_object_tagging(Bucket=bucket, Key="confidential", Tagging={"TagSet": [{"Key": "public", "Value": "yes"}]})) == "AccessDenied"
    assert owner.get_object_tagging(Bucket=bucket, Key="confidential")["TagSet"] == []


def test_missing_keys_are_403_without_list_permission(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="present", Body=b"p")
    s3.put_bucket_policy(Bucket=bucket, Policy=policy([{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]))
    assert requests.get(f"{server.endpoint}/{bucket}/present").status_code == 200
    assert requests.get(f"{server.endpoint}/{bucket}/absent").status_code == 403
    assert requests.head(f"{server.endpoint}/{bucket}/absent").status_code == 403


def test_deleting_a_user_that_owns_buckets_is_refused(server):
    client, _, name = user_with_policies(server, ["bucket-owner"], "gone")
    bucket = new_bucket(client)
    refused = server.signed("DELETE", f"/floe/admin/v1/users/{name}")
    assert refused.status_code == 409 and b"DeleteConflict" in refused.content
    client.delete_bucket(Bucket=bucket)
    assert server.signed("DELETE", f"/floe/admin/v1/users/{name}").status_code == 204


@pytest.fixture(scope="module")
def logged_server():
    server = new_server(FLOE_ACCESS_LOG_ROLL_SECONDS="1")
    yield server
    server.cleanup()


def test_access_logs_stay_with_their_owner_and_hold_no_credentials(logged_server):
    server = logged_server
    alice, alice_id, _ = user_with_policies(server, ["bucket-owner"], "alice")
    mallory, _, _ = user_with_policies(server, ["bucket-owner"], "mallory")
    source, target = new_bucket(alice), new_bucket(alice)
    delivery = [{"Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                 "Resource": f"arn:aws:s3:::{target}/*"}]
    alice.put_bucket_policy(Bucket=target, Policy=policy(delivery))
    alice.put_bucket_logging(Bucket=source, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "l/"}})
    alice.put_object(Bucket=source, Key="k", Body=b"alice's")
    url = alice.generate_presigned_url("get_object", Params={"Bucket": source, "Key": "k"}, ExpiresIn=600)
    assert requests.get(url, headers={"User-Agent": "ua\u2028forged\u0085line".encode()}).status_code == 200
    deadline = time.time() + 10
    while time.time() < deadline and "Contents" not in alice.list_objects_v2(Bucket=target):
        time.sleep(0.2)
    log = b"".join(alice.get_object(Bucket=target, Key=o["Key"])["Body"].read() for o in alice.list_objects_v2(Bucket=target)["Contents"])
    assert b"Signature=REDACTED" in log and url.split("Signature=")[1].split("&")[0].encode() not in log
    assert len(log.decode().splitlines()) == log.count(b"\n")  # no Unicode line breaks inside a record
    # The target is deleted and re-created by someone else: the records are not theirs.
    for o in alice.list_objects_v2(Bucket=target)["Contents"]:
        alice.delete_object(Bucket=target, Key=o["Key"])
    alice.delete_bucket(Bucket=target)
    mallory.create_bucket(Bucket=target)
    mallory.put_bucket_policy(Bucket=target, Policy=policy(delivery))
    alice.get_object(Bucket=source, Key="k")
    time.sleep(3)
    assert "Contents" not in mallory.list_objects_v2(Bucket=target)
