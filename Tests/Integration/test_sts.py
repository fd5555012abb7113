"""STS AssumeRole on the S3 port: temporary credentials through boto3's sts client, session
policies that narrow, tokens in headers and presigned URLs, expiry, tampering, restarts."""
import base64
import json
import os
import time
import uuid

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from floe_harness import ROOT_PASSWORD, ROOT_USER, new_server

MASTER_KEY = bytes(range(32))
ROLE = "arn:aws:iam::000000000000:role/floe"


def admin(server, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    return server.signed(method, f"/floe/admin/v1/{path}", body=data)


def sts_client(server, access_key, secret, token=None, **config):
    return boto3.client("sts", endpoint_url=server.endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret,
                        aws_session_token=token, region_name="us-east-1", config=Config(retries={"max_attempts": 1}, **config))


def s3_client(server, creds, **config):
    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"],
                        region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config))


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def sts_server():
    instance = new_server(FLOE_MASTER_KEY=base64.b64encode(MASTER_KEY).decode())
    yield instance
    instance.cleanup()


@pytest.fixture(scope="module")
def alice(sts_server):
    assert admin(sts_server, "PUT", "users/alice", {"policies": ["readwrite"]}).status_code == 200
    return admin(sts_server, "POST", "users/alice/keys").json()


def test_assume_role_returns_working_temporary_credentials(sts_server, alice):
    server = sts_server
    bucket = "sts-" + uuid.uuid4().hex[:10]
    server.boto3().create_bucket(Bucket=bucket)
    sts = sts_client(server, alice["accessKey"], alice["secretKey"])
    answer = sts.assume_role(RoleArn="arn:aws:iam::floe:role/any", RoleSessionName="etl", DurationSeconds=900)
    creds = answer["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["AccessKeyId"] != alice["accessKey"]
    remaining = creds["Expiration"].timestamp() - time.time()
    assert 850 < remaining <= 901
    assert "etl" in answer["AssumedRoleUser"]["Arn"]

    s3 = s3_client(server, creds)
    s3.put_object(Bucket=bucket, Key="a.txt", Body=b"from a session")
    assert s3.get_object(Bucket=bucket, Key="a.txt")["Body"].read() == b"from a session"

    # The token is needed: the same key pair without it is unknown.
    bare = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"], region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as e:
        bare.get_object(Bucket=bucket, Key="a.txt")
    assert code_of(e) == "InvalidAccessKeyId"

    # Presigned URLs carry the token: SigV4 as X-Amz-Security-Token, SigV2 (boto3's default here) as x-amz-security-token.
    v4 = s3_client(server, creds, signature_version="s3v4")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a.txt"}, ExpiresIn=60)
    assert "X-Amz-Security-Token" in url
    assert requests.get(url, timeout=10).content == b"from a session"
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a.txt"}, ExpiresIn=60)
    assert "x-amz-security-token" in url and "AWSAccessKeyId" in url
    assert requests.get(url, timeout=10).content == b"from a session"
    assert requests.get(url.replace("x-amz-security-token=", "x-amz-security-token=X"), timeout=10).status_code == 403

    # Root may assume a role too; the session acts as root.
    root_creds = sts_client(server, ROOT_USER, ROOT_PASSWORD).assume_role(RoleArn=ROLE, RoleSessionName="rr")["Credentials"]
    assert bucket in [b["Name"] for b in s3_client(server, root_creds).list_buckets()["Buckets"]]


def test_inline_session_policy_narrows_and_never_widens(sts_server, alice):
    server = sts_server
    bucket = "sts-" + uuid.uuid4().hex[:10]
    root = server.boto3()
    root.create_bucket(Bucket=bucket)
    root.put_object(Bucket=bucket, Key="landing/a.csv", Body=b"a")
    root.put_object(Bucket=bucket, Key="gold/b.csv", Body=b"b")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{bucket}/landing/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}",
         "Condition": {"StringLike": {"s3:prefix": "landing/*"}}}]}
    creds = sts_client(server, alice["accessKey"], alice["secretKey"]).assume_role(
        RoleArn=ROLE, RoleSessionName="narrow", Policy=json.dumps(policy))["Credentials"]
    s3 = s3_client(server, creds)
    assert s3.get_object(Bucket=bucket, Key="landing/a.csv")["Body"].read() == b"a"
    s3.put_object(Bucket=bucket, Key="landing/new.csv", Body=b"n")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="landing/")["Contents"]] == ["landing/a.csv", "landing/new.csv"]
    for call in [lambda: s3.get_object(Bucket=bucket, Key="gold/b.csv"), lambda: s3.put_object(Bucket=bucket, Key="gold/x", Body=b"x"),
                 lambda: s3.list_objects_v2(Bucket=bucket), lambda: s3.delete_object(Bucket=bucket, Key="landing/a.csv")]:
        with pytest.raises(ClientError) as e:
            call()
        assert code_of(e) == "AccessDenied"

    # A session policy cannot grant what the parent lacks: a readonly user stays read-only.
    assert admin(server, "PUT", "users/reader", {"policies": ["readonly"]}).status_code == 200
    reader = admin(server, "POST", "users/reader/keys").json()
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    reader_creds = sts_client(server, reader["accessKey"], reader["secretKey"]).assume_role(
        RoleArn=ROLE, RoleSessionName="wide", Policy=json.dumps(everything))["Credentials"]
    reader_s3 = s3_client(server, reader_creds)
    assert reader_s3.get_object(Bucket=bucket, Key="gold/b.csv")["Body"].read() == b"b"
    with pytest.raises(ClientError) as e:
        reader_s3.put_object(Bucket=bucket, Key="gold/evil", Body=b"x")
    assert code_of(e) == "AccessDenied"

    # Chained: a session may assume again, and keeps its own narrowing.
    chained = sts_client(server, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]).assume_role(
        RoleArn=ROLE, RoleSessionName="chain")["Credentials"]
    with pytest.raises(ClientError) as e:
        s3_client(server, chained).get_object(Bucket=bucket, Key="gold/b.csv")
    assert code_of(e) == "AccessDenied"
    assert s3_client(server, chained).get_object(Bucket=bucket, Key="landing/a.csv")["Body"].read() == b"a"


def test_assume_role_validation(sts_server, alice):
    # botocore checks the range itself; switched off so the server's own check is what answers.
    sts = sts_client(sts_server, alice["accessKey"], alice["secretKey"], parameter_validation=False)
    for duration in [899, 43201]:
        with pytest.raises(ClientError) as e:
            sts.assume_role(RoleArn=ROLE, RoleSessionName="ss", DurationSeconds=duration)
        assert code_of(e) == "ValidationError"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=ROLE, RoleSessionName="ss", Policy='{"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]}')
    assert code_of(e) == "MalformedPolicyDocument"
    with pytest.raises(ClientError) as e:
        sts.assume_role(RoleArn=ROLE, RoleSessionName="ss", Policy=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "x" * 3000}]}))
    assert code_of(e) == "PackedPolicyTooLarge"
    with pytest.raises(ClientError) as e:
        sts_client(sts_server, alice["accessKey"], "wrong-secret").assume_role(RoleArn=ROLE, RoleSessionName="ss")
    assert code_of(e) == "SignatureDoesNotMatch"
    # Unsigned requests get nothing.
    anonymous = requests.post(sts_server.endpoint + "/", data={"Action": "AssumeRole", "Version": "2011-06-15"}, timeout=10)
    assert anonymous.status_code == 403 and b"<Code>AccessDenied</Code>" in anonymous.content


def forge_token(claims: dict) -> str:
    """An authentic token (sealed under the test's master key) carrying the given claims."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"floe session tokens v1").derive(MASTER_KEY)
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, json.dumps(claims).encode(), None)
    return "FLOE1." + base64.b64encode(nonce + sealed).decode()


def test_expired_and_tampered_tokens_are_refused(sts_server, alice):
    server = sts_server
    bucket = "sts-" + uuid.uuid4().hex[:10]
    server.boto3().create_bucket(Bucket=bucket)
    creds = sts_client(server, alice["accessKey"], alice["secretKey"]).assume_role(RoleArn=ROLE, RoleSessionName="tt")["Credentials"]

    now_ms = int(time.time() * 1000)
    expired = dict(creds)
    expired["SessionToken"] = forge_token({"ak": creds["AccessKeyId"], "sk": creds["SecretAccessKey"], "p": "alice", "pol": [],
                                           "exp": now_ms - 1000, "iat": now_ms - 901_000})
    with pytest.raises(ClientError) as e:
        s3_client(server, expired).list_objects_v2(Bucket=bucket)
    assert code_of(e) == "ExpiredToken"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    # The same claims, still valid, are accepted: the forgery above differs only in its expiry.
    fresh = dict(creds)
    fresh["SessionToken"] = forge_token({"ak": creds["AccessKeyId"], "sk": creds["SecretAccessKey"], "p": "alice", "pol": [],
                                         "exp": now_ms + 60_000, "iat": now_ms})
    s3_client(server, fresh).list_objects_v2(Bucket=bucket)

    token = creds["SessionToken"]
    raw = bytearray(base64.b64decode(token[len("FLOE1."):]))
    raw[20] ^= 0x01
    tampered = dict(creds)
    tampered["SessionToken"] = "FLOE1." + base64.b64encode(bytes(raw)).decode()
    with pytest.raises(ClientError) as e:
        s3_client(server, tampered).list_objects_v2(Bucket=bucket)
    assert code_of(e) == "InvalidToken"

    # A token belongs to its own access key only.
    other = sts_client(server, alice["accessKey"], alice["secretKey"]).assume_role(RoleArn=ROLE, RoleSessionName="oo")["Credentials"]
    swapped = dict(creds)
    swapped["SessionToken"] = other["SessionToken"]
    with pytest.raises(ClientError) as e:
        s3_client(server, swapped).list_objects_v2(Bucket=bucket)
    assert code_of(e) == "InvalidToken"


def test_sessions_survive_restart_and_die_with_their_user(sts_server, alice):
    server = sts_server
    bucket = "sts-" + uuid.uuid4().hex[:10]
    server.boto3().create_bucket(Bucket=bucket)
    assert admin(server, "PUT", "users/temp", {"policies": ["readwrite"]}).status_code == 200
    temp = admin(server, "POST", "users/temp/keys").json()
    creds = sts_client(server, temp["accessKey"], temp["secretKey"]).assume_role(RoleArn=ROLE, RoleSessionName="ss")["Credentials"]
    s3_client(server, creds).put_object(Bucket=bucket, Key="k", Body=b"v")

    server.stop()
    server.start()
    assert s3_client(server, creds).get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"

    assert admin(server, "PUT", "users/temp", {"enabled": False}).status_code == 200
    with pytest.raises(ClientError) as e:
        s3_client(server, creds).get_object(Bucket=bucket, Key="k")
    assert code_of(e) == "InvalidToken"
