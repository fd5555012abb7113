"""Schemathesis drives the running catalog from spec/catalog-openapi.yaml (Floe's own description
of the API it serves): no generated request may get a 5xx, an undocumented status code, or a
response that does not match the documented schema."""
import json
import os
import subprocess

import requests

from floe_harness import ROOT_PASSWORD, ROOT_USER

SPEC = os.path.join(os.path.dirname(__file__), "..", "..", "spec", "catalog-openapi.yaml")


def test_catalog_conforms_to_its_openapi_description(server, tmp_path):
    base = server.catalog_endpoint
    token = requests.post(f"{base}/v1/oauth/tokens", data={"grant_type": "client_credentials", "client_id": ROOT_USER,
                                                           "client_secret": ROOT_PASSWORD}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    requests.post(f"{base}/v1/lakehouse/namespaces", headers=headers, data=json.dumps({"namespace": ["st_ns"]}))
    requests.post(f"{base}/v1/lakehouse/namespaces/st_ns/tables", headers=headers, data=json.dumps(
        {"name": "st_table", "schema": {"type": "struct", "fields": [{"id": 1, "name": "x", "required": False, "type": "long"}]}}))
    config = tmp_path / "schemathesis.toml"
    config.write_text('[parameters]\n"path.prefix" = "lakehouse"\n"path.namespace" = "st_ns"\n"path.table" = "st_table"\n"path.view" = "st_view"\n')
    result = subprocess.run(
        ["st", "--config-file", str(config), "run", SPEC, "--url", base, "-H", f"Authorization: Bearer {token}",
         "--checks", "not_a_server_error,status_code_conformance,response_schema_conformance",
         "--max-examples", "15", "--seed", "1", "--request-timeout", "10"],
        capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
