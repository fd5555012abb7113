"""Who may do what, over both APIs: every principal kind against the same operations, each cell
asserted allowed (the operation succeeds) or denied (403 in the protocol's own form)."""
import json
import uuid

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from floe_harness import ROOT_PASSWORD, ROOT_USER, new_server

ALLOW, DENY = "allow", "deny"

# Operations (columns) and, per principal (rows), the expected outcome. `-` means not applicable.
OPERATIONS = ["ListBuckets", "CreateBucket", "ListObjects", "ListLanding", "GetLanding", "GetGold", "PutLanding", "PutGold",
              "DeleteLanding", "PutBucketPolicy", "AdminListUsers",
              "ListNamespaces", "CreateNamespace", "LoadTable", "CreateTable", "DropTable"]
MATRIX = {
    #                  LB  CB  LO  LL  GL  GG  PL  PG  DL  PBP ADM  LN  CN  LT  CT  DT
    "root":           "A   A   A   A   A   A   A   A   A   A   A    A   A   A   A   A",
    "admin":          "A   A   A   A   A   A   A   A   A   A   A    A   A   A   A   A",
    "readwrite":      "A   A   A   A   A   A   A   A   A   A   D    A   A   A   A   A",
    "readonly":       "A   D   A   A   A   A   D   D   D   D   D    A   D   A   D   D",
    "prefix":         "D   D   D   A   A   D   A   D   D   D   D    D   D   D   D   D",
    "service":        "D   D   A   A   A   A   D   D   D   D   D    D   D   D   D   D",
    "session":        "D   D   D   D   D   A   D   D   D   D   D    A   D   A   D   D",
    "anonymous":      "D   D   D   D   D   D   D   D   D   D   D    -   -   -   -   -",
    "anonymous-public": "D D   D   D   D   A   D   D   D   D   D    -   -   -   -   -",
}


def expected(principal):
    cells = MATRIX[principal].split()
    assert len(cells) == len(OPERATIONS), principal
    return {op: {"A": ALLOW, "D": DENY, "-": None}[cell] for op, cell in zip(OPERATIONS, cells)}


def admin(server, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    response = server.signed(method, f"/floe/admin/v1/{path}", body=data)
    assert response.status_code < 300, response.text
    return response


class Caller:
    """One principal's S3 client and catalog access (bearer token, or SigV4 with a session token)."""

    def __init__(self, server, access_key=None, secret=None, token=None, oauth=True):
        self.server, self.access_key, self.secret, self.token = server, access_key, secret, token
        config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
        if access_key:
            self.s3 = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret,
                                   aws_session_token=token, region_name="us-east-1", config=config)
        else:
            from botocore import UNSIGNED
            self.s3 = boto3.client("s3", endpoint_url=server.endpoint, region_name="us-east-1",
                                   config=Config(signature_version=UNSIGNED, s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
        self.bearer = None
        if access_key and oauth:
            reply = requests.post(f"{server.catalog_endpoint}/v1/oauth/tokens",
                                  data={"grant_type": "client_credentials", "client_id": access_key, "client_secret": secret})
            assert reply.status_code == 200, reply.text
            self.bearer = reply.json()["access_token"]

    def catalog(self, method, path, body=None):
        url = f"{self.server.catalog_endpoint}/v1/lakehouse/{path}"
        data = json.dumps(body).encode() if body is not None else b""
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if self.bearer:
            headers["Authorization"] = "Bearer " + self.bearer
        else:
            request = AWSRequest(method=method, url=url, data=data, headers=headers)
            SigV4Auth(Credentials(self.access_key, self.secret, self.token), "s3tables", "us-east-1").add_auth(request)
            headers = dict(request.prepare().headers)
        return requests.request(method, url, data=data, headers=headers, timeout=30)


def s3_outcome(call):
    try:
        call()
        return ALLOW
    except ClientError as e:
        code = e.response["Error"]["Code"]
        assert code == "AccessDenied", code
        return DENY


def catalog_outcome(response):
    if response.status_code < 300:
        return ALLOW
    assert response.status_code == 403 and response.json()["error"]["type"] == "ForbiddenException", response.text
    return DENY


@pytest.fixture(scope="module")
def world():
    server = new_server()
    root = Caller(server, ROOT_USER, ROOT_PASSWORD)
    bucket, public = "mx-" + uuid.uuid4().hex[:8], "mxpub-" + uuid.uuid4().hex[:8]
    for name in [bucket, public]:
        root.s3.create_bucket(Bucket=name)
        for key in ["landing/a.csv", "gold/b.csv"]:
            root.s3.put_object(Bucket=name, Key=key, Body=b"data")
    root.s3.put_bucket_policy(Bucket=public, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{public}/gold/*"}]}))
    assert catalog_outcome(root.catalog("POST", "namespaces", {"namespace": ["mx"]})) == ALLOW
    table = {"name": "t", "schema": {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": False, "type": "long"}]}}
    assert catalog_outcome(root.catalog("POST", "namespaces/mx/tables", table)) == ALLOW

    prefix_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{bucket}/landing/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}", "Condition": {"StringLike": {"s3:prefix": "landing/*"}}}]}
    admin(server, "PUT", "policies/landing-only", prefix_policy)
    callers = {"root": root}
    for user, policy in [("admin", "admin"), ("readwrite", "readwrite"), ("readonly", "readonly"), ("prefix", "landing-only")]:
        admin(server, "PUT", f"users/mx-{user}", {"policies": [policy]})
        key = admin(server, "POST", f"users/mx-{user}/keys").json()
        callers[user] = Caller(server, key["accessKey"], key["secretKey"])

    service_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]}
    account = admin(server, "POST", "users/mx-readwrite/service-accounts", {"policy": service_policy}).json()
    callers["service"] = Caller(server, account["accessKey"], account["secretKey"])

    session_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/gold/*"},
        {"Effect": "Allow", "Action": ["iceberg:ListNamespaces", "iceberg:LoadTable"], "Resource": "arn:floe:iceberg:::*"}]}
    readwrite = callers["readwrite"]
    sts = boto3.client("sts", endpoint_url=server.endpoint, aws_access_key_id=readwrite.access_key, aws_secret_access_key=readwrite.secret,
                       region_name="us-east-1")
    creds = sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/floe", RoleSessionName="matrix", Policy=json.dumps(session_policy))["Credentials"]
    callers["session"] = Caller(server, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], oauth=False)
    callers["anonymous"] = Caller(server)
    callers["anonymous-public"] = Caller(server)
    yield server, root, callers, {"anonymous-public": public}, bucket
    server.cleanup()


def run(caller, op, bucket, root):
    s3 = caller.s3
    unique = uuid.uuid4().hex[:8]
    if op == "ListBuckets":
        # Listing is allowed but shows nothing to callers who may see no bucket; AccessDenied otherwise.
        return s3_outcome(lambda: s3.list_buckets())
    if op == "CreateBucket":
        return s3_outcome(lambda: s3.create_bucket(Bucket=f"mxnew-{unique}"))
    if op == "ListObjects":
        return s3_outcome(lambda: s3.list_objects_v2(Bucket=bucket))
    if op == "ListLanding":
        return s3_outcome(lambda: s3.list_objects_v2(Bucket=bucket, Prefix="landing/"))
    if op == "GetLanding":
        return s3_outcome(lambda: s3.get_object(Bucket=bucket, Key="landing/a.csv")["Body"].read())
    if op == "GetGold":
        return s3_outcome(lambda: s3.get_object(Bucket=bucket, Key="gold/b.csv")["Body"].read())
    if op == "PutLanding":
        return s3_outcome(lambda: s3.put_object(Bucket=bucket, Key=f"landing/{unique}.csv", Body=b"x"))
    if op == "PutGold":
        return s3_outcome(lambda: s3.put_object(Bucket=bucket, Key=f"gold/{unique}.csv", Body=b"x"))
    if op == "DeleteLanding":
        root.s3.put_object(Bucket=bucket, Key=f"landing/del-{unique}", Body=b"x")
        return s3_outcome(lambda: s3.delete_object(Bucket=bucket, Key=f"landing/del-{unique}"))
    if op == "PutBucketPolicy":
        text = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": f"arn:aws:s3:::{bucket}"}]})
        return s3_outcome(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=text))
    if op == "AdminListUsers":
        if caller.access_key is None:
            response = requests.get(f"{caller.server.endpoint}/floe/admin/v1/users")
        else:
            request = AWSRequest(method="GET", url=f"{caller.server.endpoint}/floe/admin/v1/users", headers={"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
            SigV4Auth(Credentials(caller.access_key, caller.secret, caller.token), "s3", "us-east-1").add_auth(request)
            response = requests.get(request.url, headers=dict(request.prepare().headers))
        assert response.status_code in (200, 403), response.text
        return ALLOW if response.status_code == 200 else DENY
    if op == "ListNamespaces":
        return catalog_outcome(caller.catalog("GET", "namespaces"))
    if op == "CreateNamespace":
        return catalog_outcome(caller.catalog("POST", "namespaces", {"namespace": [f"mx_{unique}"]}))
    if op == "LoadTable":
        return catalog_outcome(caller.catalog("GET", "namespaces/mx/tables/t"))
    if op == "CreateTable":
        table = {"name": f"c_{unique}", "schema": {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": False, "type": "long"}]}}
        return catalog_outcome(caller.catalog("POST", "namespaces/mx/tables", table))
    if op == "DropTable":
        table = {"name": f"d_{unique}", "schema": {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": False, "type": "long"}]}}
        assert catalog_outcome(root.catalog("POST", "namespaces/mx/tables", table)) == ALLOW
        return catalog_outcome(caller.catalog("DELETE", f"namespaces/mx/tables/d_{unique}"))
    raise AssertionError(op)


@pytest.mark.parametrize("principal", list(MATRIX))
def test_access_matrix(world, principal):
    server, root, callers, buckets, bucket = world
    caller = callers[principal]
    target = buckets.get(principal, bucket)
    want = expected(principal)
    got = {op: run(caller, op, target, root) for op in OPERATIONS if want[op] is not None}
    assert got == {op: outcome for op, outcome in want.items() if outcome is not None}


def test_list_buckets_shows_only_what_a_user_may_see(world):
    server, root, callers, buckets, bucket = world
    seen = {b["Name"] for b in callers["readonly"].s3.list_buckets()["Buckets"]}
    assert {bucket, buckets["anonymous-public"]} <= seen
    admin(server, "PUT", "policies/one-bucket", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]})
    admin(server, "PUT", "users/mx-one", {"policies": ["one-bucket"]})
    key = admin(server, "POST", "users/mx-one/keys").json()
    one = Caller(server, key["accessKey"], key["secretKey"], oauth=False)
    assert [b["Name"] for b in one.s3.list_buckets()["Buckets"]] == [bucket]
