"""POST Object (browser form uploads) with boto3's generate_presigned_post (SigV4 policies),
hand-made SigV2 policies, anonymous forms, and the policy's conditions."""
import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timedelta, timezone

import requests

from floe_harness import ROOT_PASSWORD, ROOT_USER
from security_helpers import admin


def post(server, bucket, fields, body=b"hello", filename="upload.bin"):
    files = list(fields.items()) + [("file", (filename, body))]
    return requests.post(f"{server.endpoint}/{bucket}", files=files, allow_redirects=False)


def v2_form(bucket, conditions, key="k", secret=ROOT_PASSWORD, access_key=ROOT_USER, extra=None, expires_in=600):
    expiration = (datetime.now(timezone.utc) + timedelta(seconds=expires_in)).strftime("%Y-%m-%dT%H:%M:%SZ")
    policy = base64.b64encode(json.dumps({"expiration": expiration, "conditions": conditions}).encode())
    signature = base64.b64encode(hmac.new(secret.encode(), policy, hashlib.sha1).digest())
    fields = {"key": key, "AWSAccessKeyId": access_key, "policy": policy.decode(), "signature": signature.decode()}
    fields.update(extra or {})
    return fields


def test_presigned_post_from_boto3(server, s3, bucket):
    form = s3.generate_presigned_post(
        bucket, "uploads/${filename}", Fields={"Content-Type": "text/csv", "x-amz-meta-source": "browser"},
        Conditions=[["starts-with", "$key", "uploads/"], {"Content-Type": "text/csv"}, {"x-amz-meta-source": "browser"},
                    ["content-length-range", 1, 1024]], ExpiresIn=600)
    response = requests.post(form["url"], data=form["fields"], files={"file": ("day1.csv", b"a,b\n1,2\n")})
    assert response.status_code == 204, response.text
    assert response.headers["ETag"] == '"%s"' % hashlib.md5(b"a,b\n1,2\n").hexdigest()
    head = s3.head_object(Bucket=bucket, Key="uploads/day1.csv")
    assert head["ContentType"] == "text/csv" and head["Metadata"] == {"source": "browser"}
    # Over the policy's size limit: refused, and nothing is stored.
    big = requests.post(form["url"], data=form["fields"], files={"file": ("big.csv", b"x" * 2048)})
    assert big.status_code == 400 and b"EntityTooLarge" in big.content
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="uploads/big")


def test_policy_conditions_and_signatures(server, s3, bucket):
    conditions = [{"bucket": bucket}, ["starts-with", "$key", "in/"], {"acl": "bucket-owner-full-control"}, ["content-length-range", 0, 100]]
    ok = post(server, bucket, v2_form(bucket, conditions, key="in/a", extra={"acl": "bucket-owner-full-control"}))
    assert ok.status_code == 204, ok.text
    assert s3.get_object(Bucket=bucket, Key="in/a")["Body"].read() == b"hello"
    refusals = {
        "key outside the prefix": (v2_form(bucket, conditions, key="out/a", extra={"acl": "bucket-owner-full-control"}), 403),
        "a field no condition names": (v2_form(bucket, conditions, key="in/b", extra={"acl": "bucket-owner-full-control", "x-amz-meta-x": "1"}), 403),
        "a condition's field missing": (v2_form(bucket, conditions, key="in/c"), 403),
        "wrong secret": (v2_form(bucket, conditions, key="in/d", secret="not-the-secret", extra={"acl": "bucket-owner-full-control"}), 403),
        "unknown access key": (v2_form(bucket, conditions, key="in/e", access_key="NOSUCHKEY", extra={"acl": "bucket-owner-full-control"}), 403),
        "expired policy": (v2_form(bucket, conditions, key="in/f", extra={"acl": "bucket-owner-full-control"}, expires_in=-60), 403),
        "another bucket in the policy": (v2_form(bucket, [{"bucket": "other"}, ["starts-with", "$key", ""]], key="in/g"), 403),
        "no conditions list": (v2_form(bucket, None, key="in/h"), 400),
        "bad content-length-range": (v2_form(bucket, [["content-length-range", -1, 5], ["starts-with", "$key", ""]], key="in/i"), 400),
    }
    for what, (fields, status) in refusals.items():
        response = post(server, bucket, fields)
        assert response.status_code == status, (what, response.status_code, response.text)
    missing_key = v2_form(bucket, conditions, extra={"acl": "bucket-owner-full-control"})
    del missing_key["key"]
    assert post(server, bucket, missing_key).status_code == 400
    unsigned = v2_form(bucket, conditions, key="in/j", extra={"acl": "bucket-owner-full-control"})
    del unsigned["signature"]
    assert post(server, bucket, unsigned).status_code == 400
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["in/a"]


def test_success_actions(server, s3, bucket):
    anyone = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:PutObject","s3:PutObjectTagging"],"Resource":"arn:aws:s3:::%s/*"}]}'
    s3.put_bucket_policy(Bucket=bucket, Policy=anyone % bucket)
    created = post(server, bucket, {"key": "a", "success_action_status": "201"})
    assert created.status_code == 201 and b"<Key>a</Key>" in created.content
    assert post(server, bucket, {"key": "b", "success_action_status": "200"}).status_code == 200
    assert post(server, bucket, {"key": "c", "success_action_status": "404"}).status_code == 204
    redirect = post(server, bucket, {"key": "d e", "success_action_redirect": "https://app.example/done"})
    assert redirect.status_code == 303
    assert redirect.headers["Location"].startswith(f"https://app.example/done?bucket={bucket}&key=d%20e&etag=%22")
    tagged = post(server, bucket, {"key": "t", "tagging": "<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet></Tagging>"})
    assert tagged.status_code == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="t")["TagSet"] == [{"Key": "k", "Value": "v"}]


def test_anonymous_form_needs_a_grant(server, s3, bucket):
    assert post(server, bucket, {"key": "x"}).status_code == 403
    assert post(server, "no-such-bucket-" + uuid.uuid4().hex[:8], {"key": "x"}).status_code == 404
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_form_signer_needs_write_permission(server, s3, bucket):
    name = "post-" + uuid.uuid4().hex[:8]
    admin(server, "PUT", f"users/{name}", {"policies": ["readonly"]})
    key = admin(server, "POST", f"users/{name}/keys").json()
    fields = v2_form(bucket, [{"bucket": bucket}, ["starts-with", "$key", ""]], key="x", secret=key["secretKey"], access_key=key["accessKey"])
    assert post(server, bucket, fields).status_code == 403
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)


def test_large_file_streams_through_the_form(server, s3, bucket):
    """A body many times any buffer the reader keeps, with bytes that look like a boundary's start."""
    body = (b"\r\n--" + b"x" * 1021) * 6000
    fields = v2_form(bucket, [{"bucket": bucket}, ["starts-with", "$key", ""]], key="big")
    response = post(server, bucket, fields, body=body)
    assert response.status_code == 204, response.text
    got = s3.get_object(Bucket=bucket, Key="big")["Body"].read()
    assert len(got) == len(body) and hashlib.md5(got).digest() == hashlib.md5(body).digest()


def test_form_fields_meet_the_conditions_a_put_would(server, s3, bucket):
    """A Deny on a request tag or storage class binds a form upload as it binds the PUT (the form's
    fields stand for those headers in authorization). Failed before: the form got through."""
    name = "post-" + uuid.uuid4().hex[:8]
    statements = [
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectTagging"], "Resource": [f"arn:aws:s3:::{bucket}/*"]},
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": [f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"StringEquals": {"s3:RequestObjectTag/secret": "yes"}}},
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": [f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"StringEquals": {"s3:x-amz-storage-class": "REDUCED_REDUNDANCY"}}},
    ]
    admin(server, "PUT", f"policies/{name}", {"Version": "2012-10-17", "Statement": statements})
    admin(server, "PUT", f"users/{name}", {"policies": [name]})
    key = admin(server, "POST", f"users/{name}/keys").json()
    tagging = "<Tagging><TagSet><Tag><Key>secret</Key><Value>yes</Value></Tag></TagSet></Tagging>"
    def conditions(field):
        return [{"bucket": bucket}, ["starts-with", "$key", ""], ["starts-with", f"${field}", ""]]
    for key_name, field, value in (("tagged", "tagging", tagging), ("rrs", "x-amz-storage-class", "REDUCED_REDUNDANCY")):
        fields = v2_form(bucket, conditions(field), key=key_name, secret=key["secretKey"], access_key=key["accessKey"], extra={field: value})
        assert post(server, bucket, fields).status_code == 403, key_name
    fine = v2_form(bucket, conditions("x-amz-storage-class"), key="fine", secret=key["secretKey"], access_key=key["accessKey"],
                   extra={"x-amz-storage-class": "STANDARD"})
    assert post(server, bucket, fine).status_code == 204
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == ["fine"]
