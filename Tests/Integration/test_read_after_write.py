"""Read-after-write through the version and listing caches, with boto3, while other buckets are
written and read: every GET, HEAD and listing begun after a PUT or DELETE was acknowledged sees
it. The caches keep answers per bucket generation, so reads of a bucket stay cached while another
is written; these runs check that a bucket's own writes still reach its readers at once."""
import threading
import time
import uuid

from botocore.exceptions import ClientError


def _bucket(s3) -> str:
    name = "raw-" + uuid.uuid4().hex[:16]
    s3.create_bucket(Bucket=name)
    return name


def test_reads_see_acknowledged_writes_while_other_buckets_are_written(server):
    writers_s3, readers_s3 = server.boto3(), server.boto3()
    hot, written, elsewhere = _bucket(writers_s3), _bucket(writers_s3), _bucket(writers_s3)
    for n in range(20):
        writers_s3.put_object(Bucket=hot, Key=f"k{n}", Body=b"hot-%d" % n)
    stop, failures = threading.Event(), []

    def read_hot():
        # Keeps the other bucket's versions in the caches (and hit) the whole time.
        s3, n = server.boto3(), 0
        while not stop.is_set():
            body = s3.get_object(Bucket=hot, Key=f"k{n % 20}")["Body"].read()
            if body != b"hot-%d" % (n % 20):
                failures.append(("hot", n, body))
            n += 1

    def write_elsewhere():
        s3, n = server.boto3(), 0
        while not stop.is_set():
            s3.put_object(Bucket=elsewhere, Key=f"w{n % 50}", Body=b"x" * 100)
            n += 1

    threads = [threading.Thread(target=read_hot) for _ in range(2)] + [threading.Thread(target=write_elsewhere)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 60
        for round_ in range(150):
            if time.monotonic() > deadline:
                break
            key = f"key{round_ % 5}"
            body = b"round-%d" % round_
            # Read first, so the caches hold the old version and listing when the write lands.
            readers_s3.list_objects_v2(Bucket=written, Prefix="key")
            try:
                readers_s3.head_object(Bucket=written, Key=key)
                readers_s3.get_object(Bucket=written, Key=key)["Body"].read()
            except ClientError:
                pass  # not written yet
            writers_s3.put_object(Bucket=written, Key=key, Body=body)
            assert readers_s3.get_object(Bucket=written, Key=key)["Body"].read() == body
            assert readers_s3.head_object(Bucket=written, Key=key)["ContentLength"] == len(body)
            listed = readers_s3.list_objects_v2(Bucket=written, Prefix="key")
            assert {o["Key"]: o["Size"] for o in listed.get("Contents", [])}[key] == len(body)
            if round_ % 10 == 9:
                # A delete is seen at once too, by GET and by listing.
                writers_s3.delete_object(Bucket=written, Key=key)
                try:
                    readers_s3.get_object(Bucket=written, Key=key)
                    raise AssertionError(f"{key} was read after its delete was acknowledged")
                except ClientError as error:
                    assert error.response["Error"]["Code"] == "NoSuchKey"
                listed = readers_s3.list_objects_v2(Bucket=written, Prefix="key")
                assert key not in {o["Key"] for o in listed.get("Contents", [])}
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert not failures, failures[:5]
