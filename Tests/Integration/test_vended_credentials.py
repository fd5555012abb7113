"""Credential vending: engines that hold only catalog credentials read and write tables through
short-lived S3 credentials scoped to one table's location."""
import json
import uuid

import boto3
import duckdb
import pyarrow as pa
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError
from pyiceberg.catalog import load_catalog

from floe_harness import ROOT_PASSWORD, ROOT_USER, new_server
from test_catalog import catalog_for
from test_duckdb import load_extensions

DELEGATION = {"X-Iceberg-Access-Delegation": "vended-credentials"}


def admin(server, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else b""
    return server.signed(method, f"/floe/admin/v1/{path}", body=data)


def catalog_only(server, key):
    """A pyiceberg catalog with catalog credentials and no S3 keys at all."""
    return load_catalog("vended-" + key["accessKey"], **{
        "type": "rest", "uri": server.catalog_endpoint, "credential": f"{key['accessKey']}:{key['secretKey']}",
        "warehouse": "lakehouse", "header.X-Iceberg-Access-Delegation": "vended-credentials",
    })


def bearer(server, key):
    response = requests.post(f"{server.catalog_endpoint}/v1/oauth/tokens", data={
        "grant_type": "client_credentials", "client_id": key["accessKey"], "client_secret": key["secretKey"]})
    assert response.status_code == 200, response.text
    return {"Authorization": "Bearer " + response.json()["access_token"]}


def s3_with(server, config):
    return boto3.client("s3", endpoint_url=config["s3.endpoint"], aws_access_key_id=config["s3.access-key-id"],
                        aws_secret_access_key=config["s3.secret-access-key"], aws_session_token=config["s3.session-token"],
                        region_name=config["client.region"], config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def denied(call):
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"] == "AccessDenied"


@pytest.fixture(scope="module")
def lake():
    server = new_server()
    namespace = "vend_" + uuid.uuid4().hex[:8]
    root = catalog_for(server)
    root.create_namespace(namespace)
    schema = pa.schema([("id", pa.int64()), ("name", pa.string())])
    for name, rows in [("events", [1, 2, 3]), ("events2", [10, 20])]:
        table = root.create_table(f"{namespace}.{name}", schema=schema)
        table.append(pa.table({"id": rows, "name": [f"n{r}" for r in rows]}))
    scope = f"arn:floe:iceberg:::lakehouse/{namespace}"
    engineer = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iceberg:*", "Resource": [scope, f"{scope}/*"]},
        {"Effect": "Allow", "Action": "iceberg:ListNamespaces", "Resource": "arn:floe:iceberg:::lakehouse"}]}
    analyst = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["iceberg:Load*", "iceberg:List*"], "Resource": [scope, f"{scope}/*", "arn:floe:iceberg:::lakehouse"]}]}
    keys = {}
    for user, policy in [("engineer", engineer), ("analyst", analyst)]:
        assert admin(server, "PUT", f"policies/{user}-tables", policy).status_code == 204
        assert admin(server, "PUT", f"users/{user}", {"policies": [f"{user}-tables"]}).status_code == 200
        keys[user] = admin(server, "POST", f"users/{user}/keys").json()
    yield server, namespace, keys
    server.cleanup()


def test_pyiceberg_reads_and_appends_with_only_vended_credentials(lake):
    server, namespace, keys = lake
    catalog = catalog_only(server, keys["engineer"])
    table = catalog.load_table(f"{namespace}.events")
    assert table.io.properties["s3.access-key-id"].startswith("ASIA")
    assert sorted(table.scan().to_arrow().column("id").to_pylist()) == [1, 2, 3]
    table.append(pa.table({"id": [4], "name": ["n4"]}))
    assert sorted(catalog.load_table(f"{namespace}.events").scan().to_arrow().column("id").to_pylist()) == [1, 2, 3, 4]

    # A reader gets read-only credentials: scanning works, writing a data file does not.
    reader = catalog_only(server, keys["analyst"])
    readable = reader.load_table(f"{namespace}.events")
    assert sorted(readable.scan().to_arrow().column("id").to_pylist()) == [1, 2, 3, 4]
    with pytest.raises(Exception) as e:
        readable.append(pa.table({"id": [99], "name": ["nope"]}))
    assert "denied" in str(e.value).lower() or "forbidden" in str(e.value).lower()
    assert sorted(catalog.load_table(f"{namespace}.events").scan().to_arrow().column("id").to_pylist()) == [1, 2, 3, 4]


def test_vended_credentials_reach_only_their_table(lake):
    server, namespace, keys = lake
    url = f"{server.catalog_endpoint}/v1/lakehouse/namespaces/{namespace}/tables"
    headers = bearer(server, keys["engineer"])
    plain = requests.get(f"{url}/events", headers=headers).json()
    assert "s3.access-key-id" not in plain["config"] and "storage-credentials" not in plain

    loaded = requests.get(f"{url}/events", headers={**headers, "X-Iceberg-Access-Delegation": "remote-signing, vended-credentials"}).json()
    config = loaded["config"]
    for key in ["s3.access-key-id", "s3.secret-access-key", "s3.session-token", "s3.session-token-expires-at-ms", "s3.endpoint",
                "s3.path-style-access", "client.region"]:
        assert key in config, key
    assert config["s3.endpoint"] == server.endpoint
    location = loaded["metadata"]["location"]
    assert loaded["storage-credentials"] == [{"prefix": location, "config": config}]

    s3 = s3_with(server, config)
    bucket, prefix = location[len("s3://"):].split("/", 1)
    metadata_key = loaded["metadata-location"][len(f"s3://{bucket}/"):]
    assert s3.get_object(Bucket=bucket, Key=metadata_key)["Body"].read().startswith(b"{")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
    assert listed["KeyCount"] > 0 and all(o["Key"].startswith(prefix + "/") for o in listed["Contents"])
    s3.put_object(Bucket=bucket, Key=f"{prefix}/data/extra.bin", Body=b"writer may write here")

    other = requests.get(f"{url}/events2", headers=headers).json()
    other_key = other["metadata-location"][len(f"s3://{bucket}/"):]
    other_prefix = other["metadata"]["location"][len(f"s3://{bucket}/"):]
    assert other_prefix.startswith(prefix)  # events2 shares the prefix text "events": the boundary is the slash
    assert denied(lambda: s3.get_object(Bucket=bucket, Key=other_key))
    assert denied(lambda: s3.put_object(Bucket=bucket, Key=f"{other_prefix}/data/evil.bin", Body=b"x"))
    assert denied(lambda: s3.list_objects_v2(Bucket=bucket, Prefix=other_prefix + "/"))
    assert denied(lambda: s3.list_objects_v2(Bucket=bucket))
    assert denied(lambda: s3.list_objects_v2(Bucket=bucket, Prefix=prefix))
    assert denied(lambda: s3.list_buckets()) or s3.list_buckets()["Buckets"] == []
    assert denied(lambda: s3.create_bucket(Bucket="vended-" + uuid.uuid4().hex[:8]))

    # The credentials endpoint hands out fresh ones for the same prefix.
    fresh = requests.get(f"{url}/events/credentials", headers=headers)
    assert fresh.status_code == 200
    [entry] = fresh.json()["storage-credentials"]
    assert entry["prefix"] == location and entry["config"]["s3.access-key-id"] != config["s3.access-key-id"]

    # An analyst's vended credentials read but never write.
    analyst = requests.get(f"{url}/events", headers={**bearer(server, keys["analyst"]), **DELEGATION}).json()["config"]
    reader = s3_with(server, analyst)
    assert reader.get_object(Bucket=bucket, Key=metadata_key)["Body"].read().startswith(b"{")
    assert denied(lambda: reader.put_object(Bucket=bucket, Key=f"{prefix}/data/evil.bin", Body=b"x"))
    assert denied(lambda: reader.delete_object(Bucket=bucket, Key=metadata_key))


def test_vended_credentials_die_with_their_user(lake):
    server, namespace, keys = lake
    assert admin(server, "PUT", "users/leaver", {"policies": ["readwrite"]}).status_code == 200
    leaver = admin(server, "POST", "users/leaver/keys").json()
    loaded = requests.get(f"{server.catalog_endpoint}/v1/lakehouse/namespaces/{namespace}/tables/events",
                          headers={**bearer(server, leaver), **DELEGATION}).json()
    s3 = s3_with(server, loaded["config"])
    key = loaded["metadata-location"].split("/", 3)[3]
    assert s3.get_object(Bucket="lakehouse", Key=key)["Body"].read()
    assert admin(server, "DELETE", "users/leaver").status_code == 204
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket="lakehouse", Key=key)
    assert e.value.response["Error"]["Code"] == "InvalidToken"


def test_duckdb_reads_with_vended_credentials(lake):
    server, namespace, keys = lake
    con = duckdb.connect()
    load_extensions(con)
    key = keys["analyst"]
    con.execute(f"CREATE SECRET floe_catalog (TYPE ICEBERG, CLIENT_ID '{key['accessKey']}', CLIENT_SECRET '{key['secretKey']}', "
                f"OAUTH2_SERVER_URI '{server.catalog_endpoint}/v1/oauth/tokens')")
    con.execute(f"ATTACH 'lakehouse' AS lake (TYPE ICEBERG, ENDPOINT '{server.catalog_endpoint}', SECRET floe_catalog, "
                "ACCESS_DELEGATION_MODE 'vended_credentials')")
    assert con.execute(f"SELECT sum(id) FROM lake.{namespace}.events2").fetchone()[0] == 30


def test_pyiceberg_signs_catalog_requests_with_sigv4(lake):
    """No OAuth at all: every catalog request signed with SigV4 (signing name s3tables), data through vended credentials."""
    server, namespace, keys = lake
    key = keys["engineer"]
    catalog = load_catalog("sigv4", **{
        "type": "rest", "uri": server.catalog_endpoint, "warehouse": "lakehouse",
        "rest.sigv4-enabled": "true", "rest.signing-name": "s3tables", "rest.signing-region": "us-east-1",
        "client.access-key-id": key["accessKey"], "client.secret-access-key": key["secretKey"], "client.region": "us-east-1",
    })
    assert (namespace, "events2") in catalog.list_tables(namespace)
    table = catalog.load_table(f"{namespace}.events2")
    table.append(pa.table({"id": [30], "name": ["n30"]}))
    assert sorted(catalog.load_table(f"{namespace}.events2").scan().to_arrow().column("id").to_pylist()) == [10, 20, 30]

    # A bad signature is refused with the catalog's own error shape.
    request = requests.get(f"{server.catalog_endpoint}/v1/config", headers={
        "Authorization": f"AWS4-HMAC-SHA256 Credential={key['accessKey']}/20260101/us-east-1/s3tables/aws4_request, "
                         "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64, "x-amz-date": "20260101T000000Z"})
    assert request.status_code == 401 and request.json()["error"]["type"] == "NotAuthorizedException"


def test_create_and_register_vend_too(lake):
    server, namespace, keys = lake
    headers = {**bearer(server, keys["engineer"]), **DELEGATION}
    url = f"{server.catalog_endpoint}/v1/lakehouse/namespaces/{namespace}"
    schema = {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": False, "type": "long"}]}
    created = requests.post(f"{url}/tables", headers=headers, json={"name": "fresh", "schema": schema})
    assert created.status_code == 200, created.text
    body = created.json()
    assert body["storage-credentials"][0]["prefix"] == body["metadata"]["location"]
    writer = s3_with(server, body["config"])
    bucket, prefix = body["metadata"]["location"][len("s3://"):].split("/", 1)
    writer.put_object(Bucket=bucket, Key=f"{prefix}/data/first.parquet", Body=b"x")  # a writer's credentials write

    source = requests.get(f"{url}/tables/events", headers=headers).json()
    # Two live tables never share files: registering over a live table's location is refused,
    # registering it again once it is dropped (without purge) works.
    refused = requests.post(f"{url}/register", headers=headers, json={"name": "events_again", "metadata-location": source["metadata-location"]})
    assert refused.status_code == 403 and refused.json()["error"]["type"] == "ForbiddenException", refused.text
    assert requests.delete(f"{url}/tables/events", headers=headers).status_code == 204
    registered = requests.post(f"{url}/register", headers=headers, json={"name": "events_again", "metadata-location": source["metadata-location"]})
    assert registered.status_code == 200, registered.text
    config = registered.json()["config"]
    assert registered.json()["storage-credentials"][0]["prefix"] == source["metadata"]["location"]
    key = source["metadata-location"][len(f"s3://{bucket}/"):]
    assert s3_with(server, config).get_object(Bucket=bucket, Key=key)["Body"].read().startswith(b"{")


def test_public_s3_url_is_what_engines_get():
    server = new_server(FLOE_PUBLIC_S3_URL="https://s3.lake.example")
    try:
        token = requests.post(f"{server.catalog_endpoint}/v1/oauth/tokens", data={
            "grant_type": "client_credentials", "client_id": ROOT_USER, "client_secret": ROOT_PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", **DELEGATION}
        url = f"{server.catalog_endpoint}/v1/lakehouse/namespaces/bronze/tables"
        schema = {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": False, "type": "long"}]}
        created = requests.post(url, headers=headers, json={"name": "t", "schema": schema}).json()
        assert created["config"]["s3.endpoint"] == "https://s3.lake.example"
        assert requests.get(f"{url}/t/credentials", headers=headers).json()["storage-credentials"][0]["config"]["s3.endpoint"] == "https://s3.lake.example"
    finally:
        server.cleanup()
