import uuid

import pytest

from floe_harness import new_server


@pytest.fixture(scope="session")
def server():
    """One Floe for the whole session; tests use their own buckets."""
    instance = new_server()
    yield instance
    code = instance.stop()
    instance.cleanup()
    assert code == 0, "floe did not exit cleanly on SIGTERM"


@pytest.fixture
def s3(server):
    return server.boto3()


@pytest.fixture
def bucket(s3):
    name = "t-" + uuid.uuid4().hex[:20]
    s3.create_bucket(Bucket=name)
    return name
