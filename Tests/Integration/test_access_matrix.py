"""Who may do what, over both APIs: every principal kind against the same operations, each cell
asserted allowed (the operation succeeds) or denied (403 in the protocol's own form).

The expected cells are derived from each principal's policies (written out in `world`), never from
what the server answers: an operation that touches several resources (a copy's source and
destination, each key of a DeleteObjects, both tables of a rename, every table of a transaction) is
allowed only when every one of them is. Wherever an operation changes something, the change is
checked afterwards as root: an allowed cell must have made it, a denied one must have left no trace."""
import hashlib
import json
import uuid
from dataclasses import dataclass

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from floe_harness import ROOT_PASSWORD, ROOT_USER, error_code, new_server

ALLOW, DENY = "allow", "deny"
WAREHOUSE = "lakehouse"
DELEGATION = {"X-Iceberg-Access-Delegation": "vended-credentials"}

# Principals (rows):
#   root              the root credentials
#   admin / readwrite / readonly   users with the built-in policy of that name
#   prefix            user allowed Get/Put on <bucket>/landing/* and to list landing/ only
#   star              user with two Allow statements on arn:aws:s3:::* only, {"Action": "*"} and {"NotAction": "s3:GetObject"}:
#                     all of S3, no admin (arn:floe:admin:::…), no catalog (arn:floe:iceberg:::…)
#   useradmin         user allowed admin:ListUsers on arn:floe:admin:::users and admin:CreateUser / admin:CreateGroup on
#                     users/* and groups/*, nothing else (no AttachPolicy)
#   group             user with no policy of its own, member of a group allowed Get/Put/Delete on <bucket>/landing/* (nothing on
#                     the bucket itself), iceberg:* on namespace mx, List/Load on every catalog resource, admin:ListUsers, and a
#                     Deny of s3:DeleteObject on the warehouse bucket
#   service           service account of readwrite narrowed to Get/List on <bucket>
#   session           STS session of readwrite narrowed to Get on <bucket>/gold/* and on the warehouse bucket, and to
#                     iceberg List/Load namespaces and tables and UpdateTable
#   vended            S3 credentials the catalog vends to `group` for table mx.t (read-write: group may update it); its S3
#                     cells run against the warehouse bucket, `landing` being the table's data/ folder and `gold` a folder
#                     of the table that the warehouse bucket's policy denies to everyone
#   vended-session    credentials vended for mx.t to `session`: the session's narrowing (Get only) still applies
#   anonymous         no credentials; the bucket has no policy
#   anonymous-public  no credentials; a bucket whose policy lets anyone Get gold/*
#   anonymous-upload  no credentials; a bucket whose policy lets anyone Get/Put/Delete landing/*
#
# Operations (columns) and, per principal (rows), the expected outcome. `-` means not applicable
# (anonymous callers have no catalog identity). `landing`, `gold` are the two folders of the row's
# bucket; `foreign` is an object in another bucket only root and the s3:* users may read.
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
    "star":           "A   A   A   A   A   A   A   A   A   A   D    D   D   D   D   D",
    "useradmin":      "D   D   D   D   D   D   D   D   D   D   A    D   D   D   D   D",
    "group":          "D   D   D   D   A   D   A   D   A   D   A    A   D   A   A   A",
    "service":        "D   D   A   A   A   A   D   D   D   D   D    D   D   D   D   D",
    "session":        "D   D   D   D   D   A   D   D   D   D   D    A   D   A   D   D",
    "vended":         "D   D   D   A   A   D   A   D   D   D   D    D   D   D   D   D",
    "vended-session": "D   D   D   D   A   D   D   D   D   D   D    D   D   D   D   D",
    "anonymous":      "D   D   D   D   D   D   D   D   D   D   D    -   -   -   -   -",
    "anonymous-public": "D D   D   D   D   A   D   D   D   D   D    -   -   -   -   -",
    "anonymous-upload": "D D   D   D   A   D   A   D   A   D   D    -   -   -   -   -",
}

# Operations that touch several resources (S3). CopyX copies X into landing (CopyToGold: landing into gold);
# PartCopyX is UploadPartCopy from X into an upload root started under landing; one DeleteObjects names a
# landing key and a gold key (BatchDeleteX is that key's own outcome); CreateUploadX starts an upload under X;
# UploadPart / Complete act on an upload root started under landing.
MULTI_OPERATIONS = ["CopyLanding", "CopyGold", "CopyForeign", "CopyToGold", "PartCopyLanding", "PartCopyGold",
                    "BatchDeleteLanding", "BatchDeleteGold", "CreateUploadLanding", "CreateUploadGold", "UploadPartLanding",
                    "CompleteLanding"]
MULTI_MATRIX = {
    #                  CpL CpG CpF CpTG PcL PcG BdL BdG CuL CuG UpL CoL
    "root":           "A   A   A   A    A   A   A   A   A   A   A   A",
    "admin":          "A   A   A   A    A   A   A   A   A   A   A   A",
    "readwrite":      "A   A   A   A    A   A   A   A   A   A   A   A",
    "readonly":       "D   D   D   D    D   D   D   D   D   D   D   D",
    "prefix":         "A   D   D   D    A   D   D   D   A   D   A   A",
    "star":           "A   A   A   A    A   A   A   A   A   A   A   A",
    "useradmin":      "D   D   D   D    D   D   D   D   D   D   D   D",
    "group":          "A   D   D   D    A   D   A   D   A   D   A   A",
    "service":        "D   D   D   D    D   D   D   D   D   D   D   D",
    "session":        "D   D   D   D    D   D   D   D   D   D   D   D",
    "vended":         "A   D   D   D    A   D   D   D   A   D   A   A",
    "vended-session": "D   D   D   D    D   D   D   D   D   D   D   D",
    "anonymous":      "D   D   D   D    D   D   D   D   D   D   D   D",
    "anonymous-public": "D D   D   D    D   D   D   D   D   D   D   D",
    "anonymous-upload": "A D   D   D    A   D   A   D   A   D   A   A",
}

# Admin writes and catalog requests that name more than one resource or need more than one action.
# AdminCreateUser / AdminCreatePolicy: PUT users/<new> (no policies), PUT policies/<new>. AdminCreateAdminUser /
# AdminCreateAdminGroup: PUT users/<new> or groups/<new> with {"policies": ["admin"]}: besides admin:CreateUser
# (CreateGroup) on users/<new> (groups/<new>) this attaches a policy, so it also needs admin:AttachPolicy on
# users/<new>/policies/admin (groups/<new>/policies/admin), as PUT .../policies/admin would.
# Rename needs DropTable on the source and CreateTable on the destination namespace (RenameTable: mx -> mx,
# RenameFromGold: mxgold -> mx, RenameToGold: mx -> mxgold); a transaction needs UpdateTable on every table
# (Transaction: mx.t; TransactionGold: mx.t and mxgold.g) and CreateTable on the namespace of a change with
# assert-create (TransactionCreate, and CommitCreate through commitTable); RegisterTable needs CreateTable on mx;
# UpdateTable is the plain commitTable on mx.t.
ADMIN_CATALOG_OPERATIONS = ["AdminCreateUser", "AdminCreatePolicy", "AdminCreateAdminUser", "AdminCreateAdminGroup",
                            "UpdateTable", "RenameTable", "RenameFromGold", "RenameToGold",
                            "Transaction", "TransactionGold", "TransactionCreate", "CommitCreate", "RegisterTable"]
ADMIN_CATALOG_MATRIX = {
    #                  CU  CP  CAU CAG   UT  Rn  RnF RnT Tx  TxG TxC CmC Reg
    "root":           "A   A   A   A     A   A   A   A   A   A   A   A   A",
    "admin":          "A   A   A   A     A   A   A   A   A   A   A   A   A",
    "readwrite":      "D   D   D   D     A   A   A   A   A   A   A   A   A",
    "readonly":       "D   D   D   D     D   D   D   D   D   D   D   D   D",
    "prefix":         "D   D   D   D     D   D   D   D   D   D   D   D   D",
    "star":           "D   D   D   D     D   D   D   D   D   D   D   D   D",
    "useradmin":      "A   D   D   D     D   D   D   D   D   D   D   D   D",
    "group":          "D   D   D   D     A   A   D   D   A   D   A   A   A",
    "service":        "D   D   D   D     D   D   D   D   D   D   D   D   D",
    "session":        "D   D   D   D     A   D   D   D   A   A   D   D   D",
    "vended":         "D   D   D   D     D   D   D   D   D   D   D   D   D",
    "vended-session": "D   D   D   D     D   D   D   D   D   D   D   D   D",
    "anonymous":      "D   D   D   D     -   -   -   -   -   -   -   -   -",
    "anonymous-public": "D D   D   D     -   -   -   -   -   -   -   -   -",
    "anonymous-upload": "D D   D   D     -   -   -   -   -   -   -   -   -",
}

TABLES = [(OPERATIONS, MATRIX), (MULTI_OPERATIONS, MULTI_MATRIX), (ADMIN_CATALOG_OPERATIONS, ADMIN_CATALOG_MATRIX)]
SCHEMA = {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": False, "type": "long"}]}


def expected(principal):
    want = {}
    for operations, matrix in TABLES:
        cells = matrix[principal].split()
        assert len(cells) == len(operations), principal
        want.update({op: {"A": ALLOW, "D": DENY, "-": None}[cell] for op, cell in zip(operations, cells)})
    return want


def admin(server, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    response = server.signed(method, f"/floe/admin/v1/{path}", body=data)
    assert response.status_code < 300, response.text
    return response


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


@dataclass
class Target:
    """Where a row's S3 cells act: its bucket and the two folders (with trailing slash) the columns name."""
    bucket: str
    landing: str = "landing/"
    gold: str = "gold/"


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

    def catalog(self, method, path, body=None, headers=None):
        url = f"{self.server.catalog_endpoint}/v1/{WAREHOUSE}/{path}"
        data = json.dumps(body).encode() if body is not None else b""
        headers = dict(headers or {})
        if body is not None:
            headers["Content-Type"] = "application/json"
        if self.bearer:
            headers["Authorization"] = "Bearer " + self.bearer
        else:
            request = AWSRequest(method=method, url=url, data=data, headers=headers)
            SigV4Auth(Credentials(self.access_key, self.secret, self.token), "s3tables", "us-east-1").add_auth(request)
            headers = dict(request.prepare().headers)
        return requests.request(method, url, data=data, headers=headers, timeout=30)

    def admin(self, method, path, body=None):
        """An admin API call as this principal (unsigned when anonymous), its body's hash signed."""
        url = f"{self.server.endpoint}/floe/admin/v1/{path}"
        data = json.dumps(body).encode() if body is not None else b""
        headers = {}
        if self.access_key is not None:
            request = AWSRequest(method=method, url=url, data=data, headers={"x-amz-content-sha256": hashlib.sha256(data).hexdigest()})
            SigV4Auth(Credentials(self.access_key, self.secret, self.token), "s3", "us-east-1").add_auth(request)
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


def admin_outcome(response):
    if response.status_code < 300:
        return ALLOW
    assert response.status_code == 403 and error_code(response) == "AccessDenied", response.text
    return DENY


def exists(root, bucket, key):
    try:
        root.s3.head_object(Bucket=bucket, Key=key)
        return True
    except ClientError as e:
        assert e.response["Error"]["Code"] in ("404", "NoSuchKey"), e.response
        return False


def table_exists(root, namespace, name):
    status = root.catalog("GET", f"namespaces/{namespace}/tables/{name}").status_code
    assert status in (200, 404), status
    return status == 200


def table_properties(root, namespace, name):
    response = root.catalog("GET", f"namespaces/{namespace}/tables/{name}")
    assert response.status_code == 200, response.text
    return response.json()["metadata"].get("properties", {})


def create_table(root, namespace, name):
    response = root.catalog("POST", f"namespaces/{namespace}/tables", {"name": name, "schema": SCHEMA})
    assert response.status_code == 200, response.text
    return response.json()


def table_change(namespace, name, updates, requirements=()):
    return {"identifier": {"namespace": [namespace], "name": name}, "requirements": list(requirements), "updates": updates}


def set_property(key):
    return [{"action": "set-properties", "updates": {key: "1"}}]


def creation_updates():
    """What a client commits with `assert-create` (the second half of stage-create)."""
    return [
        {"action": "assign-uuid", "uuid": str(uuid.uuid4())}, {"action": "upgrade-format-version", "format-version": 2},
        {"action": "add-schema", "schema": SCHEMA}, {"action": "set-current-schema", "schema-id": -1},
        {"action": "add-spec", "spec": {"spec-id": 0, "fields": []}}, {"action": "set-default-spec", "spec-id": -1},
        {"action": "add-sort-order", "sort-order": {"order-id": 0, "fields": []}}, {"action": "set-default-sort-order", "sort-order-id": -1},
    ]


@dataclass
class World:
    server: object
    root: Caller
    callers: dict
    targets: dict
    bucket: str
    foreign: tuple
    public: str

    def target(self, principal):
        return self.targets.get(principal, Target(self.bucket))


def vended_caller(server, loader):
    """The S3 credentials the catalog vends to `loader` for mx.t, and where that table lives."""
    loaded = loader.catalog("GET", "namespaces/mx/tables/t", headers=DELEGATION)
    assert loaded.status_code == 200, loaded.text
    config = loaded.json()["config"]
    location = loaded.json()["metadata"]["location"]
    assert location.startswith(f"s3://{WAREHOUSE}/"), location
    return Caller(server, config["s3.access-key-id"], config["s3.secret-access-key"], config["s3.session-token"], oauth=False), location


@pytest.fixture(scope="module")
def world():
    server = new_server()
    root = Caller(server, ROOT_USER, ROOT_PASSWORD)
    unique = uuid.uuid4().hex[:8]
    bucket, public, upload, secret = f"mx-{unique}", f"mxpub-{unique}", f"mxup-{unique}", f"mxsecret-{unique}"
    for name in [bucket, public, upload, secret]:
        root.s3.create_bucket(Bucket=name)
    root.s3.put_object(Bucket=secret, Key="secret.txt", Body=b"secret")
    root.s3.put_bucket_policy(Bucket=public, Policy=json.dumps(policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{public}/gold/*"})))
    root.s3.put_bucket_policy(Bucket=upload, Policy=json.dumps(policy(
        {"Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
         "Resource": f"arn:aws:s3:::{upload}/landing/*"})))
    for namespace in ["mx", "mxgold"]:
        assert catalog_outcome(root.catalog("POST", "namespaces", {"namespace": [namespace]})) == ALLOW
    create_table(root, "mx", "t")
    create_table(root, "mxgold", "g")

    admin(server, "PUT", "policies/landing-only", policy(
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": f"arn:aws:s3:::{bucket}/landing/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}", "Condition": {"StringLike": {"s3:prefix": "landing/*"}}}))
    admin(server, "PUT", "policies/all-of-s3", policy(
        {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::*"},
        {"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "arn:aws:s3:::*"}))
    admin(server, "PUT", "policies/mx-team", policy(
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": f"arn:aws:s3:::{bucket}/landing/*"},
        {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{WAREHOUSE}/*"},
        {"Effect": "Allow", "Action": "iceberg:*", "Resource": [f"arn:floe:iceberg:::{WAREHOUSE}/mx", f"arn:floe:iceberg:::{WAREHOUSE}/mx/*"]},
        {"Effect": "Allow", "Action": ["iceberg:List*", "iceberg:Load*"], "Resource": "arn:floe:iceberg:::*"},
        {"Effect": "Allow", "Action": "admin:ListUsers", "Resource": "arn:floe:admin:::users"}))
    admin(server, "PUT", "policies/user-admin", policy(
        {"Effect": "Allow", "Action": "admin:ListUsers", "Resource": "arn:floe:admin:::users"},
        {"Effect": "Allow", "Action": ["admin:CreateUser", "admin:CreateGroup"], "Resource": ["arn:floe:admin:::users/*", "arn:floe:admin:::groups/*"]}))
    callers = {"root": root}
    for user, policies in [("admin", ["admin"]), ("readwrite", ["readwrite"]), ("readonly", ["readonly"]), ("prefix", ["landing-only"]),
                           ("star", ["all-of-s3"]), ("useradmin", ["user-admin"]), ("group", [])]:
        admin(server, "PUT", f"users/mx-{user}", {"policies": policies})
        key = admin(server, "POST", f"users/mx-{user}/keys").json()
        callers[user] = Caller(server, key["accessKey"], key["secretKey"])
    admin(server, "PUT", "groups/mx-team", {"policies": ["mx-team"]})
    admin(server, "PUT", "groups/mx-team/members/mx-group")

    service_policy = policy(
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]})
    account = admin(server, "POST", "users/mx-readwrite/service-accounts", {"policy": service_policy}).json()
    callers["service"] = Caller(server, account["accessKey"], account["secretKey"])

    session_policy = policy(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [f"arn:aws:s3:::{bucket}/gold/*", f"arn:aws:s3:::{WAREHOUSE}/*"]},
        {"Effect": "Allow", "Action": ["iceberg:ListNamespaces", "iceberg:LoadTable", "iceberg:UpdateTable"], "Resource": "arn:floe:iceberg:::*"})
    readwrite = callers["readwrite"]
    sts = boto3.client("sts", endpoint_url=server.endpoint, aws_access_key_id=readwrite.access_key, aws_secret_access_key=readwrite.secret,
                       region_name="us-east-1")
    creds = sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/floe", RoleSessionName="matrix", Policy=json.dumps(session_policy))["Credentials"]
    callers["session"] = Caller(server, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"], oauth=False)

    # Vended credentials for mx.t. Their S3 cells act in the table's own folder: `landing` is its data/ folder,
    # `gold` a folder of the table the warehouse bucket's policy denies to everyone (root excepted).
    callers["vended"], location = vended_caller(server, callers["group"])
    callers["vended-session"], _ = vended_caller(server, callers["session"])
    prefix = location[len(f"s3://{WAREHOUSE}/"):].rstrip("/")
    table_target = Target(WAREHOUSE, f"{prefix}/data/", f"{prefix}/gold/")
    root.s3.put_bucket_policy(Bucket=WAREHOUSE, Policy=json.dumps(policy(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{WAREHOUSE}/{table_target.gold}*"})))

    callers["anonymous"] = Caller(server)
    callers["anonymous-public"] = Caller(server)
    callers["anonymous-upload"] = Caller(server)
    targets = {"anonymous-public": Target(public), "anonymous-upload": Target(upload), "vended": table_target, "vended-session": table_target}
    for target in [Target(bucket), *targets.values()]:
        root.s3.put_object(Bucket=target.bucket, Key=f"{target.landing}a.csv", Body=b"data")
        root.s3.put_object(Bucket=target.bucket, Key=f"{target.gold}b.csv", Body=b"data")
    yield World(server, root, callers, targets, bucket, (secret, "secret.txt"), public)
    server.cleanup()


# --- the operations: each returns ALLOW or DENY (or, for one request with several outcomes, a dict of them) ---

def copy(caller, root, target, source, destination):
    outcome = s3_outcome(lambda: caller.s3.copy_object(Bucket=target.bucket, Key=destination, CopySource={"Bucket": source[0], "Key": source[1]}))
    assert exists(root, target.bucket, destination) == (outcome == ALLOW), destination
    return outcome


def part_copy(caller, root, target, source, unique):
    key = f"{target.landing}upc-{unique}"
    upload = root.s3.create_multipart_upload(Bucket=target.bucket, Key=key)["UploadId"]
    try:
        outcome = s3_outcome(lambda: caller.s3.upload_part_copy(
            Bucket=target.bucket, Key=key, UploadId=upload, PartNumber=1, CopySource={"Bucket": target.bucket, "Key": source}))
        parts = root.s3.list_parts(Bucket=target.bucket, Key=key, UploadId=upload).get("Parts", [])
        assert len(parts) == (1 if outcome == ALLOW else 0), parts
        return outcome
    finally:
        root.s3.abort_multipart_upload(Bucket=target.bucket, Key=key, UploadId=upload)


def batch_delete(caller, root, target, unique):
    """One DeleteObjects naming a landing key and a gold key: each key is authorized on its own; allowed
    keys are deleted, denied ones are answered <Error><Code>AccessDenied</Code> inside the 200 and stay."""
    keys = {"BatchDeleteLanding": f"{target.landing}bd-{unique}", "BatchDeleteGold": f"{target.gold}bd-{unique}"}
    for key in keys.values():
        root.s3.put_object(Bucket=target.bucket, Key=key, Body=b"x")
    try:
        reply = caller.s3.delete_objects(Bucket=target.bucket, Delete={"Objects": [{"Key": key} for key in keys.values()]})
    except ClientError as e:
        # An anonymous caller that no bucket policy lets delete anything is refused before its
        # body is read (so it cannot make the server read and parse batches for nothing).
        assert e.response["Error"]["Code"] == "AccessDenied" and caller.access_key is None, e.response
        for key in keys.values():
            assert exists(root, target.bucket, key), key
        return {op: DENY for op in keys}
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 200
    deleted = {d["Key"] for d in reply.get("Deleted", [])}
    errors = {e["Key"]: e["Code"] for e in reply.get("Errors", [])}
    assert set(errors.values()) <= {"AccessDenied"}, errors
    assert sorted([*deleted, *errors]) == sorted(keys.values()), reply
    outcome = {op: ALLOW if key in deleted else DENY for op, key in keys.items()}
    for op, key in keys.items():
        assert exists(root, target.bucket, key) == (outcome[op] == DENY), key
    return outcome


def create_upload(caller, root, target, folder, unique):
    key = f"{folder}mp-{unique}"
    outcome = s3_outcome(lambda: caller.s3.create_multipart_upload(Bucket=target.bucket, Key=key))
    uploads = root.s3.list_multipart_uploads(Bucket=target.bucket, Prefix=key).get("Uploads", [])
    assert len(uploads) == (1 if outcome == ALLOW else 0), uploads
    for upload in uploads:
        root.s3.abort_multipart_upload(Bucket=target.bucket, Key=key, UploadId=upload["UploadId"])
    return outcome


def upload_part(caller, root, target, unique):
    key = f"{target.landing}up-{unique}"
    upload = root.s3.create_multipart_upload(Bucket=target.bucket, Key=key)["UploadId"]
    try:
        outcome = s3_outcome(lambda: caller.s3.upload_part(Bucket=target.bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"part"))
        parts = root.s3.list_parts(Bucket=target.bucket, Key=key, UploadId=upload).get("Parts", [])
        assert len(parts) == (1 if outcome == ALLOW else 0), parts
        return outcome
    finally:
        root.s3.abort_multipart_upload(Bucket=target.bucket, Key=key, UploadId=upload)


def complete_upload(caller, root, target, unique):
    key = f"{target.landing}co-{unique}"
    upload = root.s3.create_multipart_upload(Bucket=target.bucket, Key=key)["UploadId"]
    etag = root.s3.upload_part(Bucket=target.bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"part")["ETag"]
    outcome = s3_outcome(lambda: caller.s3.complete_multipart_upload(
        Bucket=target.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]}))
    assert exists(root, target.bucket, key) == (outcome == ALLOW), key
    if outcome == DENY:
        root.s3.abort_multipart_upload(Bucket=target.bucket, Key=key, UploadId=upload)
    return outcome


def rename(caller, root, source_namespace, destination_namespace, unique):
    source, destination = f"rs_{unique}", f"rd_{unique}"
    create_table(root, source_namespace, source)
    outcome = catalog_outcome(caller.catalog("POST", "tables/rename", {
        "source": {"namespace": [source_namespace], "name": source}, "destination": {"namespace": [destination_namespace], "name": destination}}))
    assert table_exists(root, source_namespace, source) == (outcome == DENY)
    assert table_exists(root, destination_namespace, destination) == (outcome == ALLOW)
    return outcome


def commit(caller, root, path, body, changed):
    """A commit whose effect is `changed` (tables that gain property `mx-<unique>` or come to exist)."""
    outcome = catalog_outcome(caller.catalog("POST", path, body))
    for check in changed:
        assert check() == (outcome == ALLOW)
    return outcome


def run(world, principal, op):
    caller, root, target = world.callers[principal], world.root, world.target(principal)
    s3 = caller.s3
    bucket, landing, gold = target.bucket, target.landing, target.gold
    unique = uuid.uuid4().hex[:8]
    if op == "ListBuckets":
        # Listing is allowed but shows nothing to callers who may see no bucket; AccessDenied otherwise.
        return s3_outcome(lambda: s3.list_buckets())
    if op == "CreateBucket":
        return s3_outcome(lambda: s3.create_bucket(Bucket=f"mxnew-{unique}"))
    if op == "ListObjects":
        return s3_outcome(lambda: s3.list_objects_v2(Bucket=bucket))
    if op == "ListLanding":
        return s3_outcome(lambda: s3.list_objects_v2(Bucket=bucket, Prefix=landing))
    if op == "GetLanding":
        return s3_outcome(lambda: s3.get_object(Bucket=bucket, Key=f"{landing}a.csv")["Body"].read())
    if op == "GetGold":
        return s3_outcome(lambda: s3.get_object(Bucket=bucket, Key=f"{gold}b.csv")["Body"].read())
    if op == "PutLanding":
        return s3_outcome(lambda: s3.put_object(Bucket=bucket, Key=f"{landing}{unique}.csv", Body=b"x"))
    if op == "PutGold":
        return s3_outcome(lambda: s3.put_object(Bucket=bucket, Key=f"{gold}{unique}.csv", Body=b"x"))
    if op == "DeleteLanding":
        root.s3.put_object(Bucket=bucket, Key=f"{landing}del-{unique}", Body=b"x")
        return s3_outcome(lambda: s3.delete_object(Bucket=bucket, Key=f"{landing}del-{unique}"))
    if op == "PutBucketPolicy":
        text = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": f"arn:aws:s3:::{bucket}"}]})
        return s3_outcome(lambda: s3.put_bucket_policy(Bucket=bucket, Policy=text))
    if op == "AdminListUsers":
        return admin_outcome(caller.admin("GET", "users"))
    if op == "ListNamespaces":
        return catalog_outcome(caller.catalog("GET", "namespaces"))
    if op == "CreateNamespace":
        return catalog_outcome(caller.catalog("POST", "namespaces", {"namespace": [f"mx_{unique}"]}))
    if op == "LoadTable":
        return catalog_outcome(caller.catalog("GET", "namespaces/mx/tables/t"))
    if op == "CreateTable":
        return catalog_outcome(caller.catalog("POST", "namespaces/mx/tables", {"name": f"c_{unique}", "schema": SCHEMA}))
    if op == "DropTable":
        create_table(root, "mx", f"d_{unique}")
        return catalog_outcome(caller.catalog("DELETE", f"namespaces/mx/tables/d_{unique}"))

    if op == "CopyLanding":
        return copy(caller, root, target, (bucket, f"{landing}a.csv"), f"{landing}cp-{unique}")
    if op == "CopyGold":
        return copy(caller, root, target, (bucket, f"{gold}b.csv"), f"{landing}cp-{unique}")
    if op == "CopyForeign":
        return copy(caller, root, target, world.foreign, f"{landing}cp-{unique}")
    if op == "CopyToGold":
        return copy(caller, root, target, (bucket, f"{landing}a.csv"), f"{gold}cp-{unique}")
    if op == "PartCopyLanding":
        return part_copy(caller, root, target, f"{landing}a.csv", unique)
    if op == "PartCopyGold":
        return part_copy(caller, root, target, f"{gold}b.csv", unique)
    if op in ("BatchDeleteLanding", "BatchDeleteGold"):
        return batch_delete(caller, root, target, unique)
    if op == "CreateUploadLanding":
        return create_upload(caller, root, target, landing, unique)
    if op == "CreateUploadGold":
        return create_upload(caller, root, target, gold, unique)
    if op == "UploadPartLanding":
        return upload_part(caller, root, target, unique)
    if op == "CompleteLanding":
        return complete_upload(caller, root, target, unique)

    if op == "AdminCreateUser":
        outcome = admin_outcome(caller.admin("PUT", f"users/mx-new-{unique}", {}))
        assert root.admin("GET", f"users/mx-new-{unique}").status_code == (200 if outcome == ALLOW else 404)
        return outcome
    if op == "AdminCreatePolicy":
        document = policy({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::*"})
        outcome = admin_outcome(caller.admin("PUT", f"policies/mx-p-{unique}", document))
        assert root.admin("GET", f"policies/mx-p-{unique}").status_code == (200 if outcome == ALLOW else 404)
        return outcome
    if op in ("AdminCreateAdminUser", "AdminCreateAdminGroup"):
        path = f"users/mx-boss-{unique}" if op == "AdminCreateAdminUser" else f"groups/mx-bosses-{unique}"
        outcome = admin_outcome(caller.admin("PUT", path, {"policies": ["admin"]}))
        made = root.admin("GET", path)
        assert made.status_code == (200 if outcome == ALLOW else 404), made.text
        assert outcome == DENY or made.json()["policies"] == ["admin"]
        return outcome
    if op == "UpdateTable":
        return commit(caller, root, "namespaces/mx/tables/t", {"requirements": [], "updates": set_property(f"mx-{unique}")},
                      [lambda: f"mx-{unique}" in table_properties(root, "mx", "t")])
    if op == "RenameTable":
        return rename(caller, root, "mx", "mx", unique)
    if op == "RenameFromGold":
        return rename(caller, root, "mxgold", "mx", unique)
    if op == "RenameToGold":
        return rename(caller, root, "mx", "mxgold", unique)
    if op == "Transaction":
        return commit(caller, root, "transactions/commit", {"table-changes": [table_change("mx", "t", set_property(f"mx-{unique}"))]},
                      [lambda: f"mx-{unique}" in table_properties(root, "mx", "t")])
    if op == "TransactionGold":
        changes = [table_change("mx", "t", set_property(f"mx-{unique}")), table_change("mxgold", "g", set_property(f"mx-{unique}"))]
        return commit(caller, root, "transactions/commit", {"table-changes": changes},
                      [lambda: f"mx-{unique}" in table_properties(root, "mx", "t"), lambda: f"mx-{unique}" in table_properties(root, "mxgold", "g")])
    if op == "TransactionCreate":
        change = table_change("mx", f"tc_{unique}", creation_updates(), [{"type": "assert-create"}])
        return commit(caller, root, "transactions/commit", {"table-changes": [change]}, [lambda: table_exists(root, "mx", f"tc_{unique}")])
    if op == "CommitCreate":
        body = {"requirements": [{"type": "assert-create"}], "updates": creation_updates()}
        return commit(caller, root, f"namespaces/mx/tables/cc_{unique}", body, [lambda: table_exists(root, "mx", f"cc_{unique}")])
    if op == "RegisterTable":
        metadata = create_table(root, "mx", f"rg_{unique}")["metadata-location"]
        assert root.catalog("DELETE", f"namespaces/mx/tables/rg_{unique}").status_code == 204  # the files stay
        return commit(caller, root, "namespaces/mx/register", {"name": f"rg_{unique}", "metadata-location": metadata},
                      [lambda: table_exists(root, "mx", f"rg_{unique}")])
    raise AssertionError(op)


@pytest.mark.parametrize("principal", list(MATRIX))
def test_access_matrix(world, principal):
    want = {op: outcome for op, outcome in expected(principal).items() if outcome is not None}
    got = {}
    for op in want:
        if op not in got:
            outcome = run(world, principal, op)
            got.update(outcome if isinstance(outcome, dict) else {op: outcome})
    assert {op: got[op] for op in want} == want


def test_matrix_rows_match():
    for operations, matrix in TABLES:
        assert set(matrix) == set(MATRIX)
        assert len(set(operations)) == len(operations)


def test_list_buckets_shows_only_what_a_user_may_see(world):
    server, bucket = world.server, world.bucket
    seen = {b["Name"] for b in world.callers["readonly"].s3.list_buckets()["Buckets"]}
    assert {bucket, world.public} <= seen
    admin(server, "PUT", "policies/one-bucket", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        {"Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject"], "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]})
    admin(server, "PUT", "users/mx-one", {"policies": ["one-bucket"]})
    key = admin(server, "POST", "users/mx-one/keys").json()
    one = Caller(server, key["accessKey"], key["secretKey"], oauth=False)
    assert [b["Name"] for b in one.s3.list_buckets()["Buckets"]] == [bucket]
