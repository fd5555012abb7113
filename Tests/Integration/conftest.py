import os
import subprocess
import uuid

import pytest

from floe_harness import new_server


@pytest.fixture(scope="session")
def shared_server():
    """One Floe for the whole session; tests use their own buckets."""
    instance = new_server()
    yield instance
    code = instance.stop()
    instance.cleanup()
    assert code == 0, "floe did not exit cleanly on SIGTERM"


@pytest.fixture
def server(shared_server):
    return shared_server


@pytest.fixture
def s3(server):
    return server.boto3()


@pytest.fixture
def bucket(s3):
    name = "t-" + uuid.uuid4().hex[:20]
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def catalog_server(request):
    """The catalog suite runs against both stores: the embedded SQLite one (the session server)
    and PostgreSQL (a server with FLOE_CATALOG_DB pointing at a fresh database)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("shared_server")
        return
    url = os.environ.get("TEST_POSTGRES_URL")
    if not url:
        pytest.skip("TEST_POSTGRES_URL is not set (scripts/test.sh starts PostgreSQL): PostgreSQL catalog tests skipped")
    database = "floe_" + uuid.uuid4().hex[:12]
    subprocess.run(["psql", url, "-q", "-c", f"CREATE DATABASE {database}"], check=True, capture_output=True)
    instance = new_server(FLOE_CATALOG_DB=url.rsplit("/", 1)[0] + "/" + database)
    yield instance
    code = instance.stop()
    instance.cleanup()
    assert code == 0
