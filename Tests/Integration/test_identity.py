"""Users, access keys and policies through the admin API, enforced on S3 requests."""
import json
import os
import subprocess
import tempfile
import time
import uuid

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from floe_harness import ROOT_PASSWORD, ROOT_USER, FloeServer, error_code, new_server


def admin(server, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    return server.signed(method, f"/floe/admin/v1/{path}", body=data)


def client_for(server, key):
    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=key["accessKey"], aws_secret_access_key=key["secretKey"],
                        region_name="us-east-1", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture(scope="module")
def identity_server():
    instance = new_server()
    yield instance
    instance.cleanup()


def test_users_keys_and_policies(identity_server):
    server = identity_server
    s3 = server.boto3()
    bucket = "id-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="landing/a.csv", Body=b"a")
    s3.put_object(Bucket=bucket, Key="gold/b.csv", Body=b"b")

    assert admin(server, "PUT", "users/alice", {"policies": ["readonly"]}).status_code == 200
    alice_key = admin(server, "POST", "users/alice/keys").json()
    alice = client_for(server, alice_key)
    assert bucket in [b["Name"] for b in alice.list_buckets()["Buckets"]]
    assert alice.get_object(Bucket=bucket, Key="gold/b.csv")["Body"].read() == b"b"
    with pytest.raises(ClientError) as e:
        alice.put_object(Bucket=bucket, Key="gold/new.csv", Body=b"x")
    assert code_of(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:
        alice.delete_object(Bucket=bucket, Key="gold/b.csv")
    assert code_of(e) == "AccessDenied"

    writer_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/landing/*"},
        {"Effect": "Deny", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/landing/forbidden*"}]}
    assert admin(server, "PUT", "policies/landing-writer", writer_policy).status_code == 204
    assert admin(server, "PUT", "users/bob", {"policies": ["landing-writer"]}).status_code == 200
    bob = client_for(server, admin(server, "POST", "users/bob/keys").json())
    bob.put_object(Bucket=bucket, Key="landing/new.csv", Body=b"n")
    for key in ["gold/x.csv", "landing/forbidden.csv"]:
        with pytest.raises(ClientError) as e:
            bob.put_object(Bucket=bucket, Key=key, Body=b"x")
        assert code_of(e) == "AccessDenied", key
    with pytest.raises(ClientError) as e:
        bob.get_object(Bucket=bucket, Key="landing/new.csv")
    assert code_of(e) == "AccessDenied"

    # Only administrators administer.
    denied = server.signed("GET", "/floe/admin/v1/users", access_key=alice_key["accessKey"], secret=alice_key["secretKey"])
    assert (denied.status_code, error_code(denied)) == (403, "AccessDenied")
    listed = admin(server, "GET", "users").json()["users"]
    assert {u["name"] for u in listed} == {"alice", "bob"}
    assert alice_key["accessKey"] in next(u for u in listed if u["name"] == "alice")["accessKeys"]
    malformed = admin(server, "PUT", "policies/broken", {"Version": "2012-10-17"})
    assert (malformed.status_code, error_code(malformed)) == (400, "MalformedPolicy")
    unknown = admin(server, "PUT", "users/carol", {"policies": ["no-such-policy"]})
    assert unknown.status_code == 400

    # A user's key also authenticates to the catalog (OAuth2 client credentials).
    token = requests.post(f"{server.catalog_endpoint}/v1/oauth/tokens", data={
        "grant_type": "client_credentials", "client_id": alice_key["accessKey"], "client_secret": alice_key["secretKey"]})
    assert token.status_code == 200

    # Secrets are stored encrypted: neither plain secret appears anywhere in the data directory.
    data = os.path.join(server.data_dir, "data")
    found = subprocess.run(["grep", "-r", "-l", alice_key["secretKey"], data], capture_output=True)
    assert found.stdout == b""

    # Everything survives a restart.
    server.stop()
    server.process = None
    server.start()
    assert client_for(server, alice_key).get_object(Bucket=bucket, Key="gold/b.csv")["Body"].read() == b"b"

    # Deleting the key (or the user) locks them out.
    assert admin(server, "DELETE", f"keys/{alice_key['accessKey']}").status_code == 204
    with pytest.raises(ClientError) as e:
        client_for(server, alice_key).list_buckets()
    assert code_of(e) == "InvalidAccessKeyId"
    assert admin(server, "DELETE", "users/bob").status_code == 204
    with pytest.raises(ClientError) as e:
        bob.list_buckets()
    assert code_of(e) == "InvalidAccessKeyId"


def test_bucket_policy_can_grant_a_user(identity_server):
    server = identity_server
    s3 = server.boto3()
    bucket = "grant-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="shared/x", Body=b"x")
    assert admin(server, "PUT", "users/dave", {"policies": []}).status_code == 200
    dave = client_for(server, admin(server, "POST", "users/dave/keys").json())
    with pytest.raises(ClientError):
        dave.get_object(Bucket=bucket, Key="shared/x")
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam:::user/dave"]}, "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/shared/*"}]}))
    assert dave.get_object(Bucket=bucket, Key="shared/x")["Body"].read() == b"x"


def test_catalog_operations_follow_policies(identity_server):
    server = identity_server
    def token_for(key):
        return requests.post(f"{server.catalog_endpoint}/v1/oauth/tokens", data={
            "grant_type": "client_credentials", "client_id": key["accessKey"], "client_secret": key["secretKey"]}).json()["access_token"]
    def call(token, method, path, body=None):
        return requests.request(method, f"{server.catalog_endpoint}/v1/lakehouse{path}", headers={"Authorization": f"Bearer {token}"},
                                data=json.dumps(body) if body is not None else None)
    for name, policies in [("reader", ["readonly"]), ("writer", ["readwrite"]), ("nobody", [])]:
        assert admin(server, "PUT", f"users/{name}", {"policies": policies}).status_code == 200
    reader = token_for(admin(server, "POST", "users/reader/keys").json())
    writer = token_for(admin(server, "POST", "users/writer/keys").json())
    nobody = token_for(admin(server, "POST", "users/nobody/keys").json())
    schema = {"type": "struct", "fields": [{"id": 1, "name": "x", "required": False, "type": "long"}]}
    assert call(writer, "POST", "/namespaces/bronze/tables", {"name": "by_writer", "schema": schema}).status_code == 200
    assert call(reader, "GET", "/namespaces").status_code == 200
    assert call(reader, "GET", "/namespaces/bronze/tables/by_writer").status_code == 200
    denied = call(reader, "POST", "/namespaces/bronze/tables", {"name": "by_reader", "schema": schema})
    assert denied.status_code == 403 and denied.json()["error"]["type"] == "ForbiddenException"
    assert call(reader, "DELETE", "/namespaces/bronze/tables/by_writer").status_code == 403
    assert call(nobody, "GET", "/namespaces").status_code == 403
    assert call(nobody, "GET", "/namespaces/bronze/tables/by_writer").status_code == 403
    # A policy scoped to one namespace.
    scoped = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iceberg:LoadTable", "iceberg:ListTables"],
                                                      "Resource": "arn:floe:iceberg:::lakehouse/gold/*"}]}
    assert admin(server, "PUT", "policies/gold-reader", scoped).status_code == 204
    assert admin(server, "PUT", "users/nobody", {"policies": ["gold-reader"]}).status_code == 200
    assert call(nobody, "GET", "/namespaces/gold/tables").status_code == 403  # ListTables is on the namespace itself
    assert call(nobody, "GET", "/namespaces/bronze/tables/by_writer").status_code == 403


def test_groups_and_service_accounts(identity_server):
    server = identity_server
    s3 = server.boto3()
    bucket = "grp-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="landing/a.csv", Body=b"a")
    reader = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/landing/*"}]}
    assert admin(server, "PUT", "policies/landing-reader", reader).status_code == 204
    assert json.loads(admin(server, "GET", "policies/landing-reader").content) == reader
    assert admin(server, "PUT", "users/gina", {}).status_code == 200
    gina = client_for(server, admin(server, "POST", "users/gina/keys").json())
    with pytest.raises(ClientError):
        gina.get_object(Bucket=bucket, Key="landing/a.csv")

    # Policies reach members through their groups, and only while the group is enabled.
    assert admin(server, "PUT", "groups/analysts", {"policies": ["landing-reader"]}).status_code == 200
    assert admin(server, "PUT", "groups/analysts/members/gina").status_code == 204
    assert gina.get_object(Bucket=bucket, Key="landing/a.csv")["Body"].read() == b"a"
    assert admin(server, "GET", "users/gina").json()["groups"] == ["analysts"]
    assert admin(server, "PUT", "groups/analysts", {"enabled": False}).status_code == 200
    with pytest.raises(ClientError):
        gina.get_object(Bucket=bucket, Key="landing/a.csv")
    assert admin(server, "PUT", "groups/analysts", {"enabled": True}).status_code == 200
    assert admin(server, "PUT", "groups/analysts/members/nobody-here").status_code == 400
    unknown = admin(server, "GET", "groups/no-such-group")
    assert (unknown.status_code, error_code(unknown)) == (404, "NoSuchGroup")

    # A policy in use cannot be deleted; built-ins never.
    in_use = admin(server, "DELETE", "policies/landing-reader")
    assert (in_use.status_code, error_code(in_use)) == (409, "PolicyInUse")
    assert admin(server, "DELETE", "policies/readonly").status_code == 400

    # Service accounts act for their parent, narrowed by their own policy.
    assert admin(server, "PUT", "users/sam", {"policies": ["readwrite"]}).status_code == 200
    narrow = admin(server, "POST", "users/sam/service-accounts", {"policy": reader}).json()
    broad = admin(server, "POST", "users/sam/service-accounts").json()
    narrow_s3, broad_s3 = client_for(server, narrow), client_for(server, broad)
    assert narrow_s3.get_object(Bucket=bucket, Key="landing/a.csv")["Body"].read() == b"a"
    with pytest.raises(ClientError) as e:
        narrow_s3.put_object(Bucket=bucket, Key="landing/b.csv", Body=b"b")
    assert code_of(e) == "AccessDenied"
    broad_s3.put_object(Bucket=bucket, Key="landing/b.csv", Body=b"b")
    accounts = {a["accessKey"]: a for a in admin(server, "GET", "service-accounts").json()["serviceAccounts"]}
    assert accounts[narrow["accessKey"]]["user"] == "sam" and "policy" in accounts[narrow["accessKey"]]
    assert narrow["secretKey"] not in admin(server, "GET", "service-accounts").text
    assert admin(server, "GET", "users/sam").json()["serviceAccounts"] == sorted([narrow["accessKey"], broad["accessKey"]])

    # Everything survives a restart; the secrets are nowhere on disk in plain text.
    server.stop()
    server.start()
    assert gina.get_object(Bucket=bucket, Key="landing/a.csv")["Body"].read() == b"a"
    assert narrow_s3.get_object(Bucket=bucket, Key="landing/a.csv")["Body"].read() == b"a"
    for secret in [narrow["secretKey"], broad["secretKey"]]:
        assert subprocess.run(["grep", "-r", "-l", secret, server.data_dir], capture_output=True).stdout == b""

    # Disabling a key, or its parent, stops it.
    assert admin(server, "PUT", f"keys/{broad['accessKey']}", {"enabled": False}).status_code == 200
    with pytest.raises(ClientError) as e:
        broad_s3.list_buckets()
    assert code_of(e) == "InvalidAccessKeyId"
    assert admin(server, "PUT", "users/sam", {"enabled": False}).status_code == 200
    with pytest.raises(ClientError) as e:
        narrow_s3.get_object(Bucket=bucket, Key="landing/a.csv")
    assert code_of(e) == "InvalidAccessKeyId"

    # Groups are cleaned up with their members.
    assert admin(server, "DELETE", "users/gina").status_code == 204
    assert admin(server, "GET", "groups/analysts").json()["members"] == []
    assert admin(server, "DELETE", "groups/analysts").status_code == 204
    assert admin(server, "DELETE", "policies/landing-reader").status_code == 204


def test_audit_log_records_changes_denials_and_catalog_mutations():
    data_dir = tempfile.mkdtemp(prefix="floe-audit-")
    audit_path = os.path.join(data_dir, "audit.jsonl")
    server = FloeServer(data_dir=data_dir, env={"FLOE_AUDIT_LOG": audit_path}).start()
    try:
        assert admin(server, "PUT", "users/ann", {"policies": ["readonly"]}).status_code == 200
        ann = admin(server, "POST", "users/ann/keys").json()
        with pytest.raises(ClientError):
            client_for(server, ann).create_bucket(Bucket="ann-" + uuid.uuid4().hex[:8])
        token = requests.post(f"{server.catalog_endpoint}/v1/oauth/tokens", data={
            "grant_type": "client_credentials", "client_id": ann["accessKey"], "client_secret": ann["secretKey"]}).json()["access_token"]
        assert requests.post(f"{server.catalog_endpoint}/v1/lakehouse/namespaces", headers={"Authorization": f"Bearer {token}"},
                             json={"namespace": ["ann_ns"]}).status_code == 403
        root_token = requests.post(f"{server.catalog_endpoint}/v1/oauth/tokens", data={
            "grant_type": "client_credentials", "client_id": ROOT_USER, "client_secret": ROOT_PASSWORD}).json()["access_token"]
        assert requests.post(f"{server.catalog_endpoint}/v1/lakehouse/namespaces", headers={"Authorization": f"Bearer {root_token}"},
                             json={"namespace": ["root_ns"]}).status_code == 200
        with open(audit_path) as f:
            events = [json.loads(line) for line in f]
        def find(**fields):
            return [e for e in events if all(e.get(k) == v for k, v in fields.items())]
        [created] = find(api="admin", action="admin:CreateUser", resource="users/ann", principal=ROOT_USER, outcome="allowed")
        assert created["source_ip"] == "127.0.0.1" and created["request_id"]
        assert find(api="admin", action="admin:CreateAccessKey", outcome="allowed")
        [denied] = find(api="s3", action="s3:CreateBucket", outcome="denied")
        assert denied["principal"] == "ann" and denied["access_key"] == ann["accessKey"] and denied["source_ip"] == "127.0.0.1"
        assert denied["request_id"] and denied["time"].endswith("Z")
        [refused] = find(api="catalog", action="iceberg:CreateNamespace", principal="ann", outcome="denied")
        assert refused["request_id"] and refused["source_ip"] == "127.0.0.1"
        assert find(api="catalog", action="iceberg:CreateNamespace", principal=ROOT_USER, outcome="allowed", status=200)
        text = open(audit_path).read()
        assert ann["secretKey"] not in text and ROOT_PASSWORD not in text
    finally:
        server.cleanup()


def test_identity_from_an_earlier_separate_file_is_imported():
    """Earlier versions kept identity in meta/identity.sqlite; a start moves it into index.sqlite once."""
    import sqlite3
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    master = bytes(range(1, 33))
    data_dir = tempfile.mkdtemp(prefix="floe-legacy-")
    meta = os.path.join(data_dir, "data", "meta")
    os.makedirs(meta)
    legacy = sqlite3.connect(os.path.join(meta, "identity.sqlite"))
    legacy.executescript("""
        CREATE TABLE users (name TEXT PRIMARY KEY, enabled INTEGER NOT NULL, policies TEXT NOT NULL) STRICT;
        CREATE TABLE access_keys (
            access_key TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            secret BLOB NOT NULL, enabled INTEGER NOT NULL, expires_ms INTEGER, created_ms INTEGER NOT NULL) STRICT;
        CREATE TABLE policies (name TEXT PRIMARY KEY, document TEXT NOT NULL) STRICT;
        PRAGMA user_version = 1;
    """)
    nonce = os.urandom(12)
    sealed = nonce + AESGCM(master).encrypt(nonce, b"legacy-secret-key-123", None)
    legacy.execute("INSERT INTO users VALUES ('old', 1, '[\"readwrite\"]')")
    legacy.execute("INSERT INTO access_keys VALUES ('OLDKEY00000000000001', 'old', ?, 1, NULL, 0)", (sealed,))
    legacy.commit()
    legacy.close()
    import base64
    server = FloeServer(data_dir=data_dir, env={"FLOE_MASTER_KEY": base64.b64encode(master).decode()}).start()
    try:
        old = client_for(server, {"accessKey": "OLDKEY00000000000001", "secretKey": "legacy-secret-key-123"})
        old.create_bucket(Bucket="from-legacy")
        assert os.path.exists(os.path.join(meta, "identity.sqlite.imported"))
        assert not os.path.exists(os.path.join(meta, "identity.sqlite"))
        server.stop()
        server.start()
        assert "from-legacy" in [b["Name"] for b in old.list_buckets()["Buckets"]]
    finally:
        server.cleanup()


def test_identity_in_postgresql_is_shared_by_nodes():
    """With FLOE_CATALOG_DB, identity lives in PostgreSQL: a user made on one node works on another."""
    import base64
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TEST_POSTGRES_URL is not set (scripts/test.sh starts PostgreSQL)")
    database = "floe_id_" + uuid.uuid4().hex[:10]
    subprocess.run(["psql", url, "-q", "-c", f"CREATE DATABASE {database}"], check=True, capture_output=True)
    env = {"FLOE_CATALOG_DB": url.rsplit("/", 1)[0] + "/" + database, "FLOE_MASTER_KEY": base64.b64encode(bytes(range(32))).decode()}
    first, second = new_server(**env), new_server(**env)
    try:
        assert admin(first, "PUT", "policies/pg-reader", {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:ListAllMyBuckets"], "Resource": "*"}]}).status_code == 204
        assert admin(first, "PUT", "groups/pg-group", {"policies": ["pg-reader"]}).status_code == 200
        assert admin(first, "PUT", "users/pg-user", {}).status_code == 200
        assert admin(first, "PUT", "groups/pg-group/members/pg-user").status_code == 204
        key = admin(first, "POST", "users/pg-user/keys").json()
        client_for(first, key).list_buckets()
        stored = subprocess.run(["psql", env["FLOE_CATALOG_DB"], "-At", "-c", "SELECT encode(secret, 'escape') FROM identity_access_keys"],
                                capture_output=True, check=True).stdout.decode()
        assert key["secretKey"] not in stored
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                client_for(second, key).list_buckets()
                break
            except ClientError:
                time.sleep(0.5)
        client_for(second, key).list_buckets()
        # A catalog token from one node is good on the other (both share the master key).
        bearer = requests.post(f"{first.catalog_endpoint}/v1/oauth/tokens", data={
            "grant_type": "client_credentials", "client_id": key["accessKey"], "client_secret": key["secretKey"]}).json()["access_token"]
        assert requests.get(f"{second.catalog_endpoint}/v1/config", headers={"Authorization": f"Bearer {bearer}"}).status_code == 200
        # A change made on the second node reaches the first.
        assert admin(second, "PUT", "users/pg-user", {"enabled": False}).status_code == 200
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                client_for(first, key).list_buckets()
                time.sleep(0.5)
            except ClientError as e:
                assert e.response["Error"]["Code"] == "InvalidAccessKeyId"
                break
        else:
            raise AssertionError("the disabled user still works on the first node")
        first.stop()
        first.start()
        assert admin(first, "GET", "groups/pg-group").json()["members"] == ["pg-user"]
    finally:
        first.cleanup()
        second.cleanup()


def test_catalog_tokens_survive_restart_and_die_with_their_key(identity_server):
    server = identity_server
    assert admin(server, "PUT", "users/tok", {"policies": ["readonly"]}).status_code == 200
    key = admin(server, "POST", "users/tok/keys").json()
    def token():
        return requests.post(f"{server.catalog_endpoint}/v1/oauth/tokens", data={
            "grant_type": "client_credentials", "client_id": key["accessKey"], "client_secret": key["secretKey"]}).json()["access_token"]
    def namespaces(bearer):
        return requests.get(f"{server.catalog_endpoint}/v1/lakehouse/namespaces", headers={"Authorization": f"Bearer {bearer}"})
    bearer = token()
    assert namespaces(bearer).status_code == 200
    server.stop()
    server.start()
    assert namespaces(bearer).status_code == 200  # no token table: the token itself carries its claims
    forged = bearer[:-4] + ("AAAA" if not bearer.endswith("AAAA") else "BBBB")
    assert namespaces(forged).status_code == 401
    assert admin(server, "DELETE", f"keys/{key['accessKey']}").status_code == 204
    refused = namespaces(bearer)
    assert refused.status_code == 401 and refused.json()["error"]["type"] == "NotAuthorizedException"


def test_condition_keys_on_real_requests(identity_server):
    """The condition keys the issue names, each decided on a real boto3 request."""
    server = identity_server
    s3 = server.boto3()
    bucket = "cond-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="gold.csv", Body=b"g", Tagging="tier=gold")
    s3.put_object(Bucket=bucket, Key="raw.csv", Body=b"r", Tagging="tier=raw")
    s3.put_object(Bucket=bucket, Key="public/src.csv", Body=b"p")
    s3.put_object(Bucket=bucket, Key="private/src.csv", Body=b"q")
    arn = f"arn:aws:s3:::{bucket}"
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{arn}/*",
         "Condition": {"StringEquals": {"s3:ExistingObjectTag/tier": "gold"}}},
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectTagging"], "Resource": f"{arn}/tagged/*",
         "Condition": {"StringEquals": {"s3:RequestObjectTag/team": "data"}}},
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{arn}/copies/*",
         "Condition": {"StringLike": {"s3:x-amz-copy-source": [f"{bucket}/public/*", f"/{bucket}/public/*"]}}},
        # A copy also reads its source: GetObject there is needed as well.
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{arn}/public/*"},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": arn,
         "Condition": {"NumericLessThanEquals": {"s3:max-keys": "100"}, "IpAddress": {"aws:SourceIp": "127.0.0.0/8"},
                       "StringEquals": {"aws:username": "carla", "aws:PrincipalType": "User"}}},
        {"Effect": "Allow", "Action": "s3:GetObjectVersion", "Resource": f"{arn}/*",
         "Condition": {"StringEquals": {"s3:VersionId": "null"}}},
        {"Effect": "Allow", "Action": "s3:ListBucketVersions", "Resource": arn,
         "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
        {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": f"{arn}/*",
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
    ]}
    assert admin(server, "PUT", "policies/conditions", policy).status_code == 204
    assert admin(server, "PUT", "users/carla", {"policies": ["conditions"]}).status_code == 200
    carla = client_for(server, admin(server, "POST", "users/carla/keys").json())

    def denied(call):
        with pytest.raises(ClientError) as e:
            call()
        return code_of(e) == "AccessDenied"

    assert carla.get_object(Bucket=bucket, Key="gold.csv")["Body"].read() == b"g"
    assert denied(lambda: carla.get_object(Bucket=bucket, Key="raw.csv"))
    carla.put_object(Bucket=bucket, Key="tagged/a.csv", Body=b"a", Tagging="team=data")
    assert denied(lambda: carla.put_object(Bucket=bucket, Key="tagged/b.csv", Body=b"b", Tagging="team=ops"))
    assert denied(lambda: carla.put_object(Bucket=bucket, Key="tagged/c.csv", Body=b"c"))
    carla.copy_object(Bucket=bucket, Key="copies/ok.csv", CopySource={"Bucket": bucket, "Key": "public/src.csv"})
    assert denied(lambda: carla.copy_object(Bucket=bucket, Key="copies/no.csv", CopySource={"Bucket": bucket, "Key": "private/src.csv"}))
    assert carla.list_objects_v2(Bucket=bucket, MaxKeys=50)["KeyCount"] > 0
    assert denied(lambda: carla.list_objects_v2(Bucket=bucket, MaxKeys=500))
    assert carla.get_object(Bucket=bucket, Key="raw.csv", VersionId="null")["Body"].read() == b"r"
    assert carla.list_object_versions(Bucket=bucket)["Versions"]
    assert denied(lambda: carla.delete_object(Bucket=bucket, Key="raw.csv"))  # plain HTTP: aws:SecureTransport is false


def test_audit_log_to_stdout():
    server = new_server(FLOE_AUDIT_LOG="stdout")
    try:
        assert admin(server, "PUT", "users/outuser", {"policies": []}).status_code == 200
        deadline = time.time() + 5
        while "admin:CreateUser" not in server.log() and time.time() < deadline:
            time.sleep(0.1)
        lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{") and '"api"' in line]
        assert any(e["action"] == "admin:CreateUser" and e["resource"] == "users/outuser" for e in lines)
    finally:
        server.cleanup()
