"""kill -9 during 20 concurrent large uploads: nothing acknowledged is lost, nothing torn is visible."""
import hashlib
import os
import random
import threading
import time

from floe_harness import new_server

OBJECT_SIZE = 8 * 1024 * 1024 + 17
WRITERS = 20


def content_for(key: str) -> bytes:
    block = random.Random(key).randbytes(1024 * 1024)
    return (block * (OBJECT_SIZE // len(block) + 1))[:OBJECT_SIZE]


def test_kill_9_during_concurrent_uploads():
    instance = new_server()
    try:
        s3 = instance.boto3()
        s3.create_bucket(Bucket="crash")
        acknowledged: dict[str, str] = {}
        attempted: set[str] = set()
        lock = threading.Lock()
        stop = threading.Event()

        def writer(n: int):
            client = instance.boto3()
            for i in range(50):  # bounded; the kill ends it much sooner
                if stop.is_set():
                    return
                key = f"w{n:02d}/obj-{i:03d}"
                body = content_for(key)
                with lock:
                    attempted.add(key)
                try:
                    client.put_object(Bucket="crash", Key=key, Body=body)
                except Exception:
                    return
                with lock:
                    acknowledged[key] = hashlib.md5(body).hexdigest()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for t in threads:
            t.start()
        deadline = time.time() + 60
        while time.time() < deadline:
            with lock:
                if len(acknowledged) >= WRITERS:
                    break
            time.sleep(0.05)
        instance.kill9()
        stop.set()
        for t in threads:
            t.join(timeout=60)
        assert len(acknowledged) >= WRITERS, "too few uploads finished before the kill to prove anything"
        assert len(attempted) > len(acknowledged), "no upload was in flight at the kill"

        instance.port = 0
        instance.start()
        s3 = instance.boto3()
        listed = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="crash"):
            for o in page.get("Contents", []):
                listed[o["Key"]] = o
        # Every acknowledged object survived, byte for byte.
        for key, digest in acknowledged.items():
            body = s3.get_object(Bucket="crash", Key=key)["Body"].read()
            assert hashlib.md5(body).hexdigest() == digest, key
        # Every listed object is whole: one that was in flight either committed completely or not at all.
        for key, entry in listed.items():
            assert key in attempted
            assert entry["Size"] == OBJECT_SIZE, key
            assert entry["ETag"] == '"%s"' % hashlib.md5(content_for(key)).hexdigest(), key
        # Temporary files were swept at startup, and the background sweep leaves no blob without an index row.
        deadline = time.time() + 30
        while "orphan sweep finished" not in instance.log() and time.time() < deadline:
            time.sleep(0.1)
        assert "orphan sweep finished" in instance.log()
        blobs = os.path.join(instance.data_dir, "data", "blobs")
        assert os.listdir(os.path.join(blobs, "tmp")) == []
        blob_files = [f for root, _, files in os.walk(os.path.join(blobs, "objects")) for f in files]
        assert len(blob_files) == len(listed)
        # The uploads cut off by the kill left temporary files that the restart removed.
        assert "startup sweep" in instance.log() and "temporary_files=" in instance.log()
    finally:
        instance.cleanup()
