"""Server access logging: PutBucketLogging's checks, and records delivered in S3's format as
objects into the target bucket, batched off the request path."""
import json
import shlex
import time
import uuid

import pytest
import requests

from floe_harness import new_server
from security_helpers import s3_error


@pytest.fixture(scope="module")
def logged_server():
    server = new_server(FLOE_ACCESS_LOG_ROLL_SECONDS="1")
    yield server
    server.cleanup()


def delivery_policy(target, source, owner_id, prefix="logs/"):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": f"arn:aws:s3:::{target}/{prefix}*",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source}"}, "StringEquals": {"aws:SourceAccount": owner_id}}}]})


def wait_for_logs(s3, bucket, prefix, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]
        if keys:
            return keys
        time.sleep(0.2)
    return []


def test_records_are_delivered_in_s3_format(logged_server):
    s3 = logged_server.boto3()
    source, target = "src-" + uuid.uuid4().hex[:10], "logs-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=source)
    s3.create_bucket(Bucket=target)
    owner = s3.list_buckets()["Owner"]["ID"]
    status = {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "logs/"}}
    # Without a policy letting the logging service write, the configuration is refused.
    assert s3_error(lambda: s3.put_bucket_logging(Bucket=source, BucketLoggingStatus=status)) == "AccessDenied"
    missing = {"LoggingEnabled": {"TargetBucket": "no-such-" + uuid.uuid4().hex[:8], "TargetPrefix": "logs/"}}
    assert s3_error(lambda: s3.put_bucket_logging(Bucket=source, BucketLoggingStatus=missing)) == "InvalidTargetBucketForLogging"
    s3.put_bucket_policy(Bucket=target, Policy=delivery_policy(target, source, owner))
    s3.put_bucket_logging(Bucket=source, BucketLoggingStatus=status)
    got = s3.get_bucket_logging(Bucket=source)["LoggingEnabled"]
    assert got["TargetBucket"] == target and got["TargetPrefix"] == "logs/"

    s3.put_object(Bucket=source, Key="a b.txt", Body=b"hello")
    s3.get_object(Bucket=source, Key="a b.txt")["Body"].read()
    requests.get(f"{logged_server.endpoint}/{source}/missing", headers={"User-Agent": 'agent "quoted"'})
    keys = wait_for_logs(s3, target, "logs/")
    assert len(keys) == 1, keys
    lines = s3.get_object(Bucket=target, Key=keys[0])["Body"].read().decode().splitlines()
    records = [shlex.split(line.replace("[", '"').replace("]", '"')) for line in lines]
    assert all(len(r) == 26 for r in records), lines
    put = [r for r in records if r[6] == "REST.PUT.OBJECT"][0]
    get = [r for r in records if r[6] == "REST.GET.OBJECT" and r[7] == "a%20b.txt"][0]
    assert put[0] == owner and put[1] == source and put[7] == "a%20b.txt" and put[9] == "200"
    assert get[11] == "5" and get[19] == "SigV4" and get[21] == "AuthHeader"
    anonymous = [r for r in records if r[7] == "missing"][0]
    assert anonymous[4] == "-" and anonymous[9] == "403" and anonymous[10] == "AccessDenied"
    assert anonymous[16] == 'agent %22quoted%22'

    # Turning logging off stops the records.
    s3.put_bucket_logging(Bucket=source, BucketLoggingStatus={})
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=source)
    s3.put_object(Bucket=source, Key="after", Body=b"x")
    time.sleep(2.5)
    assert len(wait_for_logs(s3, target, "logs/")) == 1
