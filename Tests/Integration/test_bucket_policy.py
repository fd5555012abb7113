"""Bucket policies: anonymous access only where a policy allows it (MinIO users' "public download")."""
import json
import subprocess

import pytest
import requests
from botocore.exceptions import ClientError

from floe_harness import error_code


def public_read(bucket, prefix):
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}/{prefix}*"]},
        {"Sid": "PublicList", "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}}},
    ]}


def test_anonymous_access_follows_the_bucket_policy(server, s3, bucket):
    s3.put_object(Bucket=bucket, Key="public/logo.png", Body=b"png bytes")
    s3.put_object(Bucket=bucket, Key="private/report.csv", Body=b"secret")
    url = f"{server.endpoint}/{bucket}/public/logo.png"
    assert requests.get(url).status_code == 403
    with pytest.raises(ClientError) as e:
        s3.get_bucket_policy(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "NoSuchBucketPolicy"
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False

    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read(bucket, "public/")))
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == public_read(bucket, "public/")
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is True
    result = subprocess.run(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", url], capture_output=True, timeout=30)
    assert result.stdout == b"png bytes\n200"
    assert requests.head(url).status_code == 200
    # Everything the policy does not allow stays denied.
    for method, path in [("GET", f"/{bucket}/private/report.csv"), ("PUT", f"/{bucket}/public/new.png"), ("DELETE", f"/{bucket}/public/logo.png"),
                         ("GET", f"/{bucket}?list-type=2&prefix=private/"), ("GET", "/")]:
        response = requests.request(method, server.endpoint + path, data=b"x" if method == "PUT" else None)
        assert (response.status_code, error_code(response)) == (403, "AccessDenied"), (method, path)
    listing = requests.get(f"{server.endpoint}/{bucket}?list-type=2&prefix=public/")
    assert listing.status_code == 200 and b"<Key>public/logo.png</Key>" in listing.content

    s3.delete_bucket_policy(Bucket=bucket)
    assert requests.get(url).status_code == 403


def test_anonymous_upload_preset(server, s3, bucket):
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/inbox/*"}]}
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    response = requests.put(f"{server.endpoint}/{bucket}/inbox/drop.txt", data=b"dropped anonymously")
    assert response.status_code == 200
    assert s3.get_object(Bucket=bucket, Key="inbox/drop.txt")["Body"].read() == b"dropped anonymously"
    assert requests.get(f"{server.endpoint}/{bucket}/inbox/drop.txt").status_code == 403


@pytest.mark.parametrize("document,reason", [
    ("not json", "valid JSON"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}), "Principal"),
    (json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*",
                                                         "Condition": {"Perhaps": {"a": "b"}}}]}), "operator"),
])
def test_malformed_policies(server, bucket, document, reason):
    response = server.signed("PUT", f"/{bucket}", body=document.encode(), params={"policy": ""})
    assert (response.status_code, error_code(response)) == (400, "MalformedPolicy")
    assert reason.encode() in response.content


def test_bucket_policy_conditions_bind_a_user_whose_own_policies_have_none(server, s3, bucket):
    """Condition keys are gathered only when some policy of the decision has a condition: a
    user whose `readonly` policy has none must still meet the bucket policy's conditioned Deny."""
    import uuid
    import boto3
    from botocore.config import Config
    from floe_harness import REGION
    from security_helpers import admin
    name = "cond-" + uuid.uuid4().hex[:8]
    admin(server, "PUT", f"users/{name}", {"policies": ["readonly"]})
    key = admin(server, "POST", f"users/{name}/keys").json()
    reader = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=key["accessKey"], aws_secret_access_key=key["secretKey"],
                          region_name=REGION, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    s3.put_object(Bucket=bucket, Key="open/a.txt", Body=b"a")
    s3.put_object(Bucket=bucket, Key="closed/b.txt", Body=b"b")
    assert reader.get_object(Bucket=bucket, Key="closed/b.txt")["Body"].read() == b"b"
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/closed/*",
         "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringLike": {"s3:prefix": "closed/*"}}}]}))
    with pytest.raises(ClientError) as e:
        reader.get_object(Bucket=bucket, Key="closed/b.txt")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    with pytest.raises(ClientError) as e:
        reader.list_objects_v2(Bucket=bucket, Prefix="closed/")
    assert e.value.response["Error"]["Code"] == "AccessDenied"
    assert reader.get_object(Bucket=bucket, Key="open/a.txt")["Body"].read() == b"a"
    assert [o["Key"] for o in reader.list_objects_v2(Bucket=bucket, Prefix="open/")["Contents"]] == ["open/a.txt"]
    s3.delete_bucket_policy(Bucket=bucket)
