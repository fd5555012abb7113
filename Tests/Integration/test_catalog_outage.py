"""A PostgreSQL outage answers 503 ServiceUnavailableException and heals when the database returns."""
import os
import subprocess
import time
import uuid

import pytest
import requests

from floe_harness import ROOT_PASSWORD, ROOT_USER, new_server

needs_postgres = pytest.mark.skipif(
    not (os.environ.get("TEST_POSTGRES_URL") and os.environ.get("TEST_POSTGRES_SCRIPT")),
    reason="needs the throwaway PostgreSQL that scripts/test.sh starts")


@needs_postgres
def test_database_restart_gives_503_then_recovers():
    url, script = os.environ["TEST_POSTGRES_URL"], os.environ["TEST_POSTGRES_SCRIPT"]
    directory, port = os.environ["TEST_POSTGRES_DIR"], os.environ["TEST_POSTGRES_PORT"]
    database = "floe_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", url, "-q", "-c", f"CREATE DATABASE {database}"], check=True, capture_output=True)
    instance = new_server(FLOE_CATALOG_DB=url.rsplit("/", 1)[0] + "/" + database)
    try:
        base = instance.catalog_endpoint
        token = requests.post(f"{base}/v1/oauth/tokens", data={"grant_type": "client_credentials", "client_id": ROOT_USER,
                                                               "client_secret": ROOT_PASSWORD}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.get(f"{base}/v1/lakehouse/namespaces", headers=headers).status_code == 200
        subprocess.run([script, "stop", directory], check=True)
        try:
            response = requests.get(f"{base}/v1/lakehouse/namespaces", headers=headers, timeout=60)
            assert response.status_code == 503
            assert response.json()["error"]["type"] == "ServiceUnavailableException"
        finally:
            subprocess.run([script, "resume", directory, port], check=True)
        deadline = time.time() + 30
        status = None
        while time.time() < deadline:
            status = requests.get(f"{base}/v1/lakehouse/namespaces", headers=headers, timeout=30).status_code
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200
        assert instance.process.poll() is None, "the server must survive a database outage"
    finally:
        instance.cleanup()
