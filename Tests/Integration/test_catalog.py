"""The Iceberg REST catalog with pyiceberg and raw HTTP: namespaces, tables, commits, errors."""
import concurrent.futures
import json
import multiprocessing
import uuid

import pyarrow as pa
import pytest
import requests
from pyiceberg.catalog import load_catalog
from pyiceberg.exceptions import CommitFailedException, NamespaceNotEmptyError, NoSuchNamespaceError, NoSuchTableError, TableAlreadyExistsError
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import DayTransform, IdentityTransform
from pyiceberg.types import DoubleType, LongType, NestedField, StringType, TimestampType

from floe_harness import ROOT_PASSWORD, ROOT_USER


@pytest.fixture
def server(catalog_server):
    """Every test in this module runs once per catalog store."""
    return catalog_server


def catalog_for(server):
    return load_catalog("floe", **{
        "type": "rest", "uri": server.catalog_endpoint, "credential": f"{ROOT_USER}:{ROOT_PASSWORD}", "warehouse": "lakehouse",
        "s3.endpoint": server.endpoint, "s3.access-key-id": ROOT_USER, "s3.secret-access-key": ROOT_PASSWORD,
        "s3.region": "us-east-1", "s3.path-style-access": "true",
    })


@pytest.fixture
def catalog(server):
    return catalog_for(server)


@pytest.fixture
def namespace(catalog):
    name = "ns_" + uuid.uuid4().hex[:10]
    catalog.create_namespace(name, {"owner": "tests"})
    return name


def token(server) -> str:
    response = requests.post(f"{server.catalog_endpoint}/v1/oauth/tokens",
                             data={"grant_type": "client_credentials", "client_id": ROOT_USER, "client_secret": ROOT_PASSWORD, "scope": "catalog"})
    assert response.status_code == 200
    return response.json()["access_token"]


def api(server, method, path, body=None, headers=None):
    all_headers = {"Authorization": f"Bearer {token(server)}", **(headers or {})}
    return requests.request(method, f"{server.catalog_endpoint}/v1{path}", headers=all_headers,
                            data=json.dumps(body) if isinstance(body, (dict, list)) else body)


SCHEMA = Schema(
    NestedField(1, "id", LongType(), required=False),
    NestedField(2, "city", StringType(), required=False),
    NestedField(3, "ts", TimestampType(), required=False),
    NestedField(4, "amount", DoubleType(), required=False),
)


def rows(start, count, city="berlin"):
    import datetime
    base = datetime.datetime(2026, 1, 1)
    return pa.table({
        "id": pa.array(range(start, start + count), pa.int64()),
        "city": pa.array([city] * count, pa.string()),
        "ts": pa.array([base + datetime.timedelta(hours=i) for i in range(count)], pa.timestamp("us")),
        "amount": pa.array([float(i) for i in range(count)], pa.float64()),
    })


def test_config_and_bootstrap_zones(server, catalog):
    config = api(server, "GET", "/config?warehouse=lakehouse").json()
    assert config["overrides"]["prefix"] == "lakehouse"
    assert "POST /v1/{prefix}/transactions/commit" in config["endpoints"]
    assert "io-impl" not in json.dumps(config) and "py-io-impl" not in json.dumps(config)
    assert api(server, "GET", "/config?warehouse=nope").status_code == 404
    zones = {ns[0] for ns in catalog.list_namespaces()}
    assert {"raw", "bronze", "gold"} <= zones
    assert catalog.load_namespace_properties("bronze")["location"] == "s3://lakehouse/bronze"


def test_authentication_is_required(server):
    assert requests.get(f"{server.catalog_endpoint}/v1/config").status_code == 401
    response = requests.get(f"{server.catalog_endpoint}/v1/lakehouse/namespaces", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401 and response.json()["error"]["type"] == "NotAuthorizedException"
    bad = requests.post(f"{server.catalog_endpoint}/v1/oauth/tokens", data={"grant_type": "client_credentials", "client_id": ROOT_USER, "client_secret": "wrong"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"


def test_namespaces(server, catalog):
    parent = "parent_" + uuid.uuid4().hex[:8]
    catalog.create_namespace(parent)
    catalog.create_namespace((parent, "child"), {"a": "1"})
    assert catalog.list_namespaces(parent) == [(parent, "child")]
    with pytest.raises(NamespaceNotEmptyError):
        catalog.drop_namespace(parent)
    summary = catalog.update_namespace_properties((parent, "child"), removals={"a", "missing"}, updates={"b": "2"})
    assert summary.removed == ["a"] and summary.missing == ["missing"] and summary.updated == ["b"]
    assert catalog.load_namespace_properties((parent, "child")) == {"b": "2"}
    assert api(server, "HEAD", f"/lakehouse/namespaces/{parent}%1Fchild").status_code == 204
    assert api(server, "HEAD", "/lakehouse/namespaces/absent").status_code == 404
    response = api(server, "POST", "/lakehouse/namespaces", {"namespace": [parent]})
    assert response.status_code == 409 and response.json()["error"]["type"] == "AlreadyExistsException"
    catalog.drop_namespace((parent, "child"))
    catalog.drop_namespace(parent)
    with pytest.raises(NoSuchNamespaceError):
        catalog.load_namespace_properties(parent)


def test_namespace_and_table_pagination(server, catalog, namespace):
    for i in range(5):
        catalog.create_namespace((namespace, f"sub{i}"))
        catalog.create_table(f"{namespace}.t{i}", schema=SCHEMA)
    first = api(server, "GET", f"/lakehouse/namespaces?parent={namespace}&pageSize=2").json()
    assert len(first["namespaces"]) == 2 and first["next-page-token"]
    seen = first["namespaces"]
    page_token = first["next-page-token"]
    while page_token:
        page = api(server, "GET", f"/lakehouse/namespaces?parent={namespace}&pageSize=2&pageToken={page_token}").json()
        seen += page["namespaces"]
        page_token = page.get("next-page-token")
    assert [n[-1] for n in seen] == [f"sub{i}" for i in range(5)]
    tables = api(server, "GET", f"/lakehouse/namespaces/{namespace}/tables?pageSize=3").json()
    assert len(tables["identifiers"]) == 3 and tables["next-page-token"]
    assert sorted(t[1] for t in catalog.list_tables(namespace)) == [f"t{i}" for i in range(5)]


def test_table_lifecycle_with_pyiceberg(server, s3, catalog, namespace):
    spec = PartitionSpec(PartitionField(source_id=3, field_id=1000, transform=DayTransform(), name="ts_day"),
                         PartitionField(source_id=2, field_id=1001, transform=IdentityTransform(), name="city"))
    table = catalog.create_table(f"{namespace}.events", schema=SCHEMA, partition_spec=spec, properties={"owner": "floe"})
    with pytest.raises(TableAlreadyExistsError):
        catalog.create_table(f"{namespace}.events", schema=SCHEMA)
    table.append(rows(0, 100))
    first_snapshot = table.current_snapshot().snapshot_id
    table.append(rows(100, 50, city="paris"))
    loaded = catalog.load_table(f"{namespace}.events")
    assert loaded.scan().to_arrow().num_rows == 150
    assert loaded.scan(row_filter="city = 'paris'").to_arrow().num_rows == 50
    # Time travel reads the first snapshot exactly.
    assert loaded.scan(snapshot_id=first_snapshot).to_arrow().num_rows == 100
    # Schema evolution.
    with loaded.update_schema() as update:
        update.add_column("note", StringType())
    evolved = catalog.load_table(f"{namespace}.events")
    assert [f.name for f in evolved.schema().fields] == ["id", "city", "ts", "amount", "note"]
    # Delete and overwrite.
    evolved.delete(delete_filter="city = 'paris'")
    assert catalog.load_table(f"{namespace}.events").scan().to_arrow().num_rows == 100
    evolved = catalog.load_table(f"{namespace}.events")
    evolved.overwrite(rows(0, 10).append_column("note", pa.array(["x"] * 10, pa.string())))
    assert catalog.load_table(f"{namespace}.events").scan().to_arrow().num_rows == 10
    # Properties.
    with evolved.transaction() as tx:
        tx.set_properties(team="data")
    assert catalog.load_table(f"{namespace}.events").properties["team"] == "data"
    # Metadata and data files are ordinary objects in the warehouse bucket.
    keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="lakehouse", Prefix=f"{namespace}/events/") for o in page.get("Contents", [])]
    assert any(k.endswith(".metadata.json") for k in keys) and any(k.endswith(".parquet") for k in keys)
    metadata = json.loads(s3.get_object(Bucket="lakehouse", Key=catalog.load_table(f"{namespace}.events").metadata_location.split("lakehouse/", 1)[1])["Body"].read())
    assert len(metadata["metadata-log"]) >= 5
    # Rename across namespaces, then drop with purge: the files are gone.
    catalog.create_namespace((namespace, "moved"))
    catalog.rename_table(f"{namespace}.events", (namespace, "moved", "events2"))
    with pytest.raises(NoSuchTableError):
        catalog.load_table(f"{namespace}.events")
    moved = catalog.load_table((namespace, "moved", "events2"))
    assert moved.scan().to_arrow().num_rows == 10
    catalog.purge_table((namespace, "moved", "events2"))
    left = s3.list_objects_v2(Bucket="lakehouse", Prefix=f"{namespace}/events/")
    assert left["KeyCount"] == 0


def test_register_existing_metadata(catalog, namespace):
    table = catalog.create_table(f"{namespace}.original", schema=SCHEMA)
    table.append(rows(0, 5))
    location = catalog.load_table(f"{namespace}.original").metadata_location
    catalog.drop_table(f"{namespace}.original")
    registered = catalog.register_table(f"{namespace}.registered", location)
    assert registered.scan().to_arrow().num_rows == 5


def test_stale_commit_is_409_and_loses_nothing(server, catalog, namespace):
    table = catalog.create_table(f"{namespace}.contended", schema=SCHEMA)
    table.append(rows(0, 1))
    loaded = api(server, "GET", f"/lakehouse/namespaces/{namespace}/tables/contended").json()
    current = loaded["metadata"]["current-snapshot-id"]
    stale = {"requirements": [{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": current - 1}],
             "updates": [{"action": "set-properties", "updates": {"x": "1"}}]}
    response = api(server, "POST", f"/lakehouse/namespaces/{namespace}/tables/contended", stale)
    assert response.status_code == 409 and response.json()["error"]["type"] == "CommitFailedException"
    fresh = dict(stale, requirements=[{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": current}])
    response = api(server, "POST", f"/lakehouse/namespaces/{namespace}/tables/contended", fresh)
    assert response.status_code == 200 and response.json()["metadata"]["properties"]["x"] == "1"


def test_load_table_etag_and_snapshot_filter(server, catalog, namespace):
    table = catalog.create_table(f"{namespace}.tagged", schema=SCHEMA)
    table.append(rows(0, 1))
    table.append(rows(1, 1))
    response = api(server, "GET", f"/lakehouse/namespaces/{namespace}/tables/tagged")
    etag = response.headers["ETag"]
    assert len(response.json()["metadata"]["snapshots"]) == 2
    assert api(server, "GET", f"/lakehouse/namespaces/{namespace}/tables/tagged", headers={"If-None-Match": etag}).status_code == 304
    refs_only = api(server, "GET", f"/lakehouse/namespaces/{namespace}/tables/tagged?snapshots=refs").json()
    assert len(refs_only["metadata"]["snapshots"]) == 1
    assert api(server, "HEAD", f"/lakehouse/namespaces/{namespace}/tables/tagged").status_code == 204
    assert api(server, "HEAD", f"/lakehouse/namespaces/{namespace}/tables/nope").status_code == 404
    assert api(server, "POST", f"/lakehouse/namespaces/{namespace}/tables/tagged/metrics", {"report-type": "scan-report"}).status_code == 204


def test_multi_table_transaction_is_atomic(server, catalog, namespace):
    for name in ("a", "b"):
        catalog.create_table(f"{namespace}.{name}", schema=SCHEMA)
    def change(name, requirement_uuid):
        return {"identifier": {"namespace": [namespace], "name": name},
                "requirements": [{"type": "assert-table-uuid", "uuid": requirement_uuid}],
                "updates": [{"action": "set-properties", "updates": {"txn": "1"}}]}
    uuid_a = catalog.load_table(f"{namespace}.a").metadata.table_uuid
    uuid_b = catalog.load_table(f"{namespace}.b").metadata.table_uuid
    bad = api(server, "POST", "/lakehouse/transactions/commit", {"table-changes": [change("a", str(uuid_a)), change("b", "00000000-0000-0000-0000-000000000000")]})
    assert bad.status_code == 409
    assert "txn" not in catalog.load_table(f"{namespace}.a").properties
    good = api(server, "POST", "/lakehouse/transactions/commit", {"table-changes": [change("a", str(uuid_a)), change("b", str(uuid_b))]})
    assert good.status_code == 204
    assert catalog.load_table(f"{namespace}.a").properties["txn"] == "1" and catalog.load_table(f"{namespace}.b").properties["txn"] == "1"


def test_stage_create_then_commit(server, catalog, namespace):
    body = {"name": "staged", "schema": {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "x", "required": False, "type": "long"}]},
            "stage-create": True}
    staged = api(server, "POST", f"/lakehouse/namespaces/{namespace}/tables", body)
    assert staged.status_code == 200
    with pytest.raises(NoSuchTableError):
        catalog.load_table(f"{namespace}.staged")
    metadata = staged.json()["metadata"]
    commit = {"requirements": [{"type": "assert-create"}], "updates": [
        {"action": "assign-uuid", "uuid": metadata["table-uuid"]}, {"action": "upgrade-format-version", "format-version": 2},
        {"action": "add-schema", "schema": metadata["schemas"][0]}, {"action": "set-current-schema", "schema-id": -1},
        {"action": "add-spec", "spec": {"spec-id": 0, "fields": []}}, {"action": "set-default-spec", "spec-id": -1},
        {"action": "add-sort-order", "sort-order": {"order-id": 0, "fields": []}}, {"action": "set-default-sort-order", "sort-order-id": -1},
        {"action": "set-location", "location": metadata["location"]}]}
    created = api(server, "POST", f"/lakehouse/namespaces/{namespace}/tables/staged", commit)
    assert created.status_code == 200, created.text
    assert catalog.load_table(f"{namespace}.staged").metadata.table_uuid.hex == metadata["table-uuid"].replace("-", "")
    again = api(server, "POST", f"/lakehouse/namespaces/{namespace}/tables/staged", commit)
    assert again.status_code == 409


def test_error_bodies(server, namespace):
    for method, path, body, status, error_type in [
        ("GET", "/lakehouse/namespaces/nope_ns/tables/t", None, 404, "NoSuchNamespaceException"),
        ("GET", f"/lakehouse/namespaces/{namespace}/tables/nope", None, 404, "NoSuchTableException"),
        ("POST", "/lakehouse/namespaces", "{not json", 400, "BadRequestException"),
        ("POST", f"/lakehouse/namespaces/{namespace}/tables", {"name": "x"}, 400, "BadRequestException"),
        ("POST", f"/lakehouse/namespaces/{namespace}/tables/t", {"updates": [{"action": "fly"}]}, 400, "BadRequestException"),
        ("DELETE", "/lakehouse/namespaces/nope_ns", None, 404, "NoSuchNamespaceException"),
    ]:
        response = api(server, method, path, body)
        error = response.json()["error"]
        assert (response.status_code, error["type"], error["code"]) == (status, error_type, status), (path, response.text)
        assert error["message"]


def append_rows(args):
    endpoint_info, name, worker = args
    from floe_harness import FloeServer
    server = FloeServer(data_dir="/nonexistent", port=endpoint_info[0], catalog_port=endpoint_info[1])
    table = catalog_for(server).load_table(name)
    done = 0
    for i in range(5):
        for attempt in range(30):
            try:
                table.append(rows(worker * 1000 + i * 10, 10))
                done += 1
                break
            except CommitFailedException:
                table = catalog_for(server).load_table(name)
    return done


def test_concurrent_appenders_lose_no_commit(server, catalog, namespace):
    name = f"{namespace}.concurrent"
    catalog.create_table(name, schema=SCHEMA)
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        done = pool.map(append_rows, [((server.port, server.catalog_port), name, w) for w in range(4)])
    assert sum(done) == 20
    table = catalog.load_table(name)
    assert table.scan().to_arrow().num_rows == 200
    assert len([s for s in table.snapshots()]) == 20


def test_idempotency_key_returns_the_first_result(server, catalog, namespace):
    catalog.create_table(f"{namespace}.idem", schema=SCHEMA)
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    body = {"requirements": [], "updates": [{"action": "set-properties", "updates": {"n": "1"}}]}
    first = api(server, "POST", f"/lakehouse/namespaces/{namespace}/tables/idem", body, headers=headers)
    again = api(server, "POST", f"/lakehouse/namespaces/{namespace}/tables/idem", body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.json()["metadata-location"] == again.json()["metadata-location"]
    # The retry did not commit a second time: one metadata file for the create, one for the commit.
    assert len(catalog.load_table(f"{namespace}.idem").metadata.metadata_log) == 1
    created = api(server, "POST", "/lakehouse/namespaces", {"namespace": [namespace + "_idem"]}, headers=headers | {"Idempotency-Key": "k-2"})
    retried = api(server, "POST", "/lakehouse/namespaces", {"namespace": [namespace + "_idem"]}, headers=headers | {"Idempotency-Key": "k-2"})
    assert created.status_code == retried.status_code == 200
    assert "idempotency-key-lifetime" in api(server, "GET", "/config").json()


def test_expired_token_is_419_and_refresh_works():
    import time
    from floe_harness import new_server
    instance = new_server(FLOE_CATALOG_TOKEN_LIFETIME="2")
    try:
        base = instance.catalog_endpoint
        issued = requests.post(f"{base}/v1/oauth/tokens", data={"grant_type": "client_credentials", "client_id": ROOT_USER,
                                                                "client_secret": ROOT_PASSWORD}).json()
        assert issued["expires_in"] == 2 and issued["token_type"] == "bearer"
        refreshed = requests.post(f"{base}/v1/oauth/tokens", data={
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token": issued["access_token"],
            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token"}).json()["access_token"]
        assert refreshed != issued["access_token"]
        time.sleep(2.5)
        response = requests.get(f"{base}/v1/config", headers={"Authorization": f"Bearer {issued['access_token']}"})
        assert response.status_code == 419 and response.json()["error"]["type"] == "AuthenticationTimeoutException"
    finally:
        instance.cleanup()


def test_tables_never_share_places_on_either_store(server, namespace):
    """Locations are confined through each store's location index (SQLite and PostgreSQL): no
    table is placed at, inside or above another table's files, or over a child namespace, and a
    commit keeps only the canonical s3:// spelling the index compares."""
    raw_schema = {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": False, "type": "long"}]}
    base = f"/lakehouse/namespaces/{namespace}"
    first = api(server, "POST", f"{base}/tables", {"name": "first", "schema": raw_schema})
    assert first.status_code == 200, first.text
    location = first.json()["metadata"]["location"]
    for overlapping in (location, location + "/inner", location.rsplit("/", 1)[0] + "/fir"):
        response = api(server, "POST", f"{base}/tables", {"name": "second", "schema": raw_schema, "location": overlapping})
        expected = 200 if overlapping.endswith("/fir") else 403
        assert response.status_code == expected, (overlapping, response.text)
        if expected == 200:
            assert api(server, "DELETE", f"{base}/tables/second").status_code == 204
    assert api(server, "POST", "/lakehouse/namespaces", {"namespace": [namespace, "child"]}).status_code == 200
    inside_child = api(server, "POST", f"{base}/tables", {"name": "third", "schema": raw_schema, "location": f"s3://lakehouse/{namespace}/child"})
    assert inside_child.status_code == 403, inside_child.text
    moved = api(server, "POST", f"{base}/tables/first", {"requirements": [], "updates": [
        {"action": "set-location", "location": f"s3a://lakehouse/{namespace}/elsewhere"}]})
    assert moved.status_code == 400 and moved.json()["error"]["type"] == "BadRequestException", moved.text
