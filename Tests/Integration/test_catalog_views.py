"""Views through the REST API (and pyiceberg's view calls)."""
import uuid

import pytest

from test_catalog import api, catalog_for


@pytest.fixture
def server(catalog_server):
    """Every test in this module runs once per catalog store."""
    return catalog_server


def view_body(name, sql="SELECT 1 AS x", schema_id=0):
    return {
        "name": name,
        "schema": {"type": "struct", "schema-id": schema_id, "fields": [{"id": 1, "name": "x", "required": False, "type": "int"}]},
        "view-version": {"version-id": 1, "timestamp-ms": 1700000000000, "schema-id": schema_id, "summary": {"engine-name": "spark"},
                         "representations": [{"type": "sql", "sql": sql, "dialect": "spark"}], "default-namespace": []},
        "properties": {"comment": "test"},
    }


def test_view_lifecycle(server):
    catalog = catalog_for(server)
    namespace = "views_" + uuid.uuid4().hex[:8]
    catalog.create_namespace(namespace)
    created = api(server, "POST", f"/lakehouse/namespaces/{namespace}/views", view_body("v1"))
    assert created.status_code == 200, created.text
    metadata = created.json()["metadata"]
    assert metadata["current-version-id"] == 1 and metadata["properties"]["comment"] == "test"
    assert created.json()["metadata-location"].startswith(f"s3://lakehouse/{namespace}/v1/metadata/")
    assert catalog.view_exists(f"{namespace}.v1")
    assert [v[-1] for v in catalog.list_views(namespace)] == ["v1"]
    # Views and tables share names.
    clash = api(server, "POST", f"/lakehouse/namespaces/{namespace}/views", view_body("v1"))
    assert clash.status_code == 409 and clash.json()["error"]["type"] == "AlreadyExistsException"
    assert api(server, "GET", f"/lakehouse/namespaces/{namespace}/tables/v1").status_code == 404
    # Replace: a new version becomes current; the old one stays in the history.
    replace = {"requirements": [{"type": "assert-view-uuid", "uuid": metadata["view-uuid"]}], "updates": [
        {"action": "add-view-version", "view-version": {"version-id": 99, "timestamp-ms": 1700000001000, "schema-id": 0, "summary": {},
                                                         "representations": [{"type": "sql", "sql": "SELECT 2 AS x", "dialect": "spark"}],
                                                         "default-namespace": []}},
        {"action": "set-current-view-version", "view-version-id": -1}]}
    replaced = api(server, "POST", f"/lakehouse/namespaces/{namespace}/views/v1", replace)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["metadata"]["current-version-id"] == 2 and len(replaced.json()["metadata"]["versions"]) == 2
    wrong = dict(replace, requirements=[{"type": "assert-view-uuid", "uuid": "00000000-0000-0000-0000-000000000000"}])
    assert api(server, "POST", f"/lakehouse/namespaces/{namespace}/views/v1", wrong).status_code == 409
    # Rename, register a copy from its metadata file, drop.
    assert api(server, "POST", "/lakehouse/views/rename", {"source": {"namespace": [namespace], "name": "v1"},
                                                          "destination": {"namespace": [namespace], "name": "v2"}}).status_code == 204
    loaded = api(server, "GET", f"/lakehouse/namespaces/{namespace}/views/v2").json()
    # Two live views never share a location: registering v2's file as v3 waits until v2 is dropped.
    refused = api(server, "POST", f"/lakehouse/namespaces/{namespace}/register-view",
                  {"name": "v3", "metadata-location": loaded["metadata-location"]})
    assert refused.status_code == 403 and refused.json()["error"]["type"] == "ForbiddenException"
    assert api(server, "HEAD", f"/lakehouse/namespaces/{namespace}/views/v1").status_code == 404
    catalog.drop_view(f"{namespace}.v2")
    missing = api(server, "GET", f"/lakehouse/namespaces/{namespace}/views/v2")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "NoSuchViewException"
    registered = api(server, "POST", f"/lakehouse/namespaces/{namespace}/register-view",
                     {"name": "v3", "metadata-location": loaded["metadata-location"]})
    assert registered.status_code == 200 and registered.json()["metadata"]["view-uuid"] == metadata["view-uuid"]
