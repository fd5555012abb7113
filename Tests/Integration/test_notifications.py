"""Bucket notifications to webhook targets: the AWS event record, filters, HMAC signing, and
delivery that is durable and at least once — through a target outage, a server crash between the
write and the delivery, and dead-lettering. A small receiver of our own stands in for Dagster's or
Airflow's sensor endpoint."""
import hashlib
import hmac
import json
import os
import re
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from botocore.exceptions import ClientError

from floe_harness import ROOT_USER, free_port, new_server
from security_helpers import floe_cli, s3_outcome as code, admin

BINARY = os.environ.get("FLOE_BINARY") or os.path.join(os.path.dirname(__file__), "../../.build/debug/floe")


class Receiver:
    """Records every POST (headers and JSON body); can be stopped and started on the same port."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.received: list[tuple[dict, bytes]] = []
        self.lock = threading.Lock()
        self.server = None

    def start(self):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/events"

    def records(self):
        with self.lock:
            return [json.loads(body)["Records"][0] for _, body in self.received]

    def wait_for(self, count, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if len(self.records()) >= count:
                return self.records()
            time.sleep(0.1)
        return self.records()




def configure(s3, bucket, target, events=("s3:ObjectCreated:*", "s3:ObjectRemoved:*"), prefix=None, suffix=None, rule_id="r1"):
    rules = []
    if prefix is not None:
        rules.append({"Name": "prefix", "Value": prefix})
    if suffix is not None:
        rules.append({"Name": "suffix", "Value": suffix})
    queue = {"Id": rule_id, "QueueArn": f"arn:floe:sqs::{target}:webhook", "Events": list(events)}
    if rules:
        queue["Filter"] = {"Key": {"FilterRules": rules}}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [queue]})


def test_events_carry_the_aws_record_and_are_signed(server, s3, bucket):
    receiver = Receiver().start()
    try:
        name = "hook-" + uuid.uuid4().hex[:6]
        admin(server, "PUT", f"notify/targets/{name}", {"url": receiver.url, "authorization": "Bearer sensor-token", "secret": "hmac-key", "buckets": [bucket]})
        configure(s3, bucket, name, prefix="in/", suffix=".csv")
        got = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"][0]
        assert got["Events"] == ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"] and got["Id"] == "r1"
        put = s3.put_object(Bucket=bucket, Key="in/a b.csv", Body=b"1,2\n")
        s3.put_object(Bucket=bucket, Key="out/b.csv", Body=b"x")  # prefix does not match
        s3.put_object(Bucket=bucket, Key="in/c.txt", Body=b"x")   # suffix does not match
        s3.copy_object(Bucket=bucket, Key="in/copy.csv", CopySource={"Bucket": bucket, "Key": "in/a b.csv"})
        upload = s3.create_multipart_upload(Bucket=bucket, Key="in/mp.csv")
        part = s3.upload_part(Bucket=bucket, Key="in/mp.csv", UploadId=upload["UploadId"], PartNumber=1, Body=b"p")
        s3.complete_multipart_upload(Bucket=bucket, Key="in/mp.csv", UploadId=upload["UploadId"],
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        s3.delete_object(Bucket=bucket, Key="in/a b.csv")
        records = receiver.wait_for(4)
        assert [r["eventName"] for r in records] == ["ObjectCreated:Put", "ObjectCreated:Copy", "ObjectCreated:CompleteMultipartUpload", "ObjectRemoved:Delete"]
        first = records[0]
        assert first["eventSource"] == "aws:s3" and first["eventVersion"] == "2.1" and first["awsRegion"] == "us-east-1"
        assert first["s3"]["bucket"]["name"] == bucket and first["s3"]["configurationId"] == "r1"
        assert first["s3"]["object"]["key"] == "in/a+b.csv" and first["s3"]["object"]["size"] == 4
        assert first["s3"]["object"]["eTag"] == put["ETag"].strip('"') and first["s3"]["object"]["sequencer"]
        assert first["userIdentity"]["principalId"] == ROOT_USER or first["userIdentity"]["principalId"]
        headers, body = receiver.received[0]
        assert headers["authorization"] == "Bearer sensor-token"
        assert headers["x-floe-signature"] == "sha256=" + hmac.new(b"hmac-key", body, hashlib.sha256).hexdigest()
        assert headers["x-floe-event-id"]
        # Targets never show their credentials.
        listed = admin(server, "GET", "notify/targets").json()["targets"]
        mine = next(t for t in listed if t["name"] == name)
        assert mine == {"name": name, "url": receiver.url, "authorization": True, "signed": True, "buckets": [bucket]}
    finally:
        receiver.stop()


def test_configuration_is_validated(server, s3, bucket):
    with pytest.raises(ClientError) as refused:
        configure(s3, bucket, "no-such-target")
    assert refused.value.response["Error"]["Code"] == "InvalidArgument"
    name = "v-" + uuid.uuid4().hex[:6]
    admin(server, "PUT", f"notify/targets/{name}", {"url": "http://127.0.0.1:9/x"})
    # A target lets only the buckets it names publish to it (none by default): review finding,
    # any bucket owner could send signed events to any target.
    with pytest.raises(ClientError) as refused:
        configure(s3, bucket, name)
    assert refused.value.response["Error"]["Code"] == "InvalidArgument"
    admin(server, "PUT", f"notify/targets/{name}", {"url": "http://127.0.0.1:9/x", "buckets": ["other-*", bucket[:4] + "*"]})
    with pytest.raises(ClientError) as refused:
        configure(s3, bucket, name, events=["s3:ObjectMade:*"])
    assert refused.value.response["Error"]["Code"] == "InvalidArgument"
    configure(s3, bucket, name)
    # Overlapping configurations are refused, as S3 refuses them.
    overlap = {"QueueConfigurations": [
        {"Id": "a", "QueueArn": f"arn:floe:sqs::{name}:webhook", "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}},
        {"Id": "b", "QueueArn": f"arn:floe:sqs::{name}:webhook", "Events": ["s3:ObjectCreated:Put"], "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/x"}]}}}]}
    with pytest.raises(ClientError) as refused:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=overlap)
    assert refused.value.response["Error"]["Code"] == "InvalidArgument"
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)
    bad_url = server.signed("PUT", f"/floe/admin/v1/notify/targets/{name}", body=json.dumps({"url": "ftp://x"}).encode())
    assert bad_url.status_code == 400


def test_an_outage_of_the_target_loses_nothing(server, s3, bucket):
    receiver = Receiver()  # not listening yet: the target is down
    name = "down-" + uuid.uuid4().hex[:6]
    admin(server, "PUT", f"notify/targets/{name}", {"url": receiver.url, "buckets": [bucket]})
    configure(s3, bucket, name)
    for index in range(5):
        s3.put_object(Bucket=bucket, Key=f"k{index}", Body=b"x")
    time.sleep(2)
    status = admin(server, "GET", "notify/status").json()
    assert status["targets"][name]["pending"] == 5
    receiver.start()
    try:
        records = receiver.wait_for(5, seconds=60)
        assert [r["s3"]["object"]["key"] for r in records] == [f"k{i}" for i in range(5)]  # in order
    finally:
        receiver.stop()


def test_a_crash_between_write_and_delivery_loses_nothing():
    instance = new_server()
    receiver = Receiver()
    try:
        s3 = instance.boto3()
        bucket = "crash-" + uuid.uuid4().hex[:8]
        s3.create_bucket(Bucket=bucket)
        admin(instance, "PUT", "notify/targets/sensor", {"url": receiver.url, "buckets": ["*"]})
        configure(s3, bucket, "sensor")
        s3.put_object(Bucket=bucket, Key="landed.csv", Body=b"a,b\n")
        instance.kill9()  # acknowledged write, event not delivered (the target was down)
        receiver.start()
        instance.start()
        records = receiver.wait_for(1, seconds=60)
        assert [r["s3"]["object"]["key"] for r in records] == ["landed.csv"]
        time.sleep(1)
        assert len(receiver.records()) == 1
    finally:
        receiver.stop()
        instance.cleanup()


def test_dead_letters_are_counted_and_events_of_lifecycle_reported():
    instance = new_server(FLOE_NOTIFY_MAX_ATTEMPTS="2", FLOE_LIFECYCLE_DAY_SECONDS="1", FLOE_LIFECYCLE_INTERVAL_SECONDS="1")
    receiver = Receiver().start()
    try:
        s3 = instance.boto3()
        bucket = "dead-" + uuid.uuid4().hex[:8]
        s3.create_bucket(Bucket=bucket)
        closed = free_port()
        admin(instance, "PUT", "notify/targets/gone", {"url": f"http://127.0.0.1:{closed}/x", "buckets": ["*"]})
        admin(instance, "PUT", "notify/targets/ok", {"url": receiver.url, "buckets": ["*"]})
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
            {"Id": "gone", "QueueArn": "arn:floe:sqs::gone:webhook", "Events": ["s3:ObjectCreated:Put"]},
            {"Id": "ok", "QueueArn": "arn:floe:sqs::ok:webhook", "Events": ["s3:LifecycleExpiration:*"]},
        ]})
        s3.put_object(Bucket=bucket, Key="x", Body=b"x")
        deadline = time.time() + 30
        while time.time() < deadline and admin(instance, "GET", "notify/status").json()["dead"] < 1:
            time.sleep(0.25)
        assert admin(instance, "GET", "notify/status").json()["targets"]["gone"]["dead"] == 1
        metrics = requests.get(f"{instance.endpoint}/floe/metrics", timeout=10).text
        assert re.search(r"^floe_notifications_dead 1", metrics, re.M)
        # The other target is not held back by the dead one; lifecycle expirations are reported.
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
            {"ID": "one-day", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}}]})
        records = receiver.wait_for(1, seconds=30)
        assert records and records[0]["eventName"] == "LifecycleExpiration:Delete" and records[0]["s3"]["object"]["key"] == "x"
        # Dead letters can be queued again, or dropped.
        assert admin(instance, "POST", "notify/redrive/gone").json()["redriven"] == 1
        deadline = time.time() + 30
        while time.time() < deadline and admin(instance, "GET", "notify/status").json()["dead"] < 1:
            time.sleep(0.25)
        assert admin(instance, "DELETE", "notify/dead").json()["purged"] == 1
        assert admin(instance, "GET", "notify/status").json()["dead"] == 0
    finally:
        receiver.stop()
        instance.cleanup()


def test_cli_event_and_notify_commands(server, s3, bucket, tmp_path):
    cli = floe_cli(server, tmp_path)

    name = "cli-" + uuid.uuid4().hex[:6]
    cli("admin", "notify", "target", "add", "t", name, "--url", "http://127.0.0.1:9/hook", "--secret", "s", "--bucket", bucket)
    listed = [json.loads(line) for line in cli("admin", "notify", "target", "ls", "t", "--json").stdout.decode().splitlines()]
    assert any(t["name"] == name and t["signed"] for t in listed)
    cli("event", "add", f"t/{bucket}", name, "--event", "put", "--prefix", "landing/", "--id", "landing")
    events = [json.loads(line) for line in cli("event", "ls", f"t/{bucket}", "--json").stdout.decode().splitlines()]
    assert events == [{"id": "landing", "arn": f"arn:floe:sqs::{name}:webhook", "events": ["s3:ObjectCreated:*"], "prefix": "landing/", "suffix": None}]
    assert "pending" in json.loads(cli("admin", "notify", "status", "t", "--json").stdout)
    cli("event", "rm", f"t/{bucket}", "--id", "landing")
    assert cli("event", "ls", f"t/{bucket}", "--json").stdout.decode().strip() == ""
    cli("admin", "notify", "target", "rm", "t", name)


def test_event_ids_are_never_reused_and_sequencers_follow_commits(server, s3, bucket):
    """Review findings: a delivered row's id was handed to the next event (receivers deduplicating
    by X-Floe-Event-Id dropped it), and the sequencer was a timestamp taken before the commit."""
    receiver = Receiver().start()
    try:
        name = "ids-" + uuid.uuid4().hex[:6]
        admin(server, "PUT", f"notify/targets/{name}", {"url": receiver.url, "buckets": [bucket]})
        configure(s3, bucket, name)
        for index in range(3):
            s3.put_object(Bucket=bucket, Key="same", Body=str(index).encode())
            assert len(receiver.wait_for(index + 1)) == index + 1
        ids = [headers["x-floe-event-id"] for headers, _ in receiver.received]
        assert len(set(ids)) == 3
        sequencers = [r["s3"]["object"]["sequencer"] for r in receiver.records()]
        assert sequencers == sorted(sequencers) and len(set(sequencers)) == 3
    finally:
        receiver.stop()


def test_a_stalled_target_does_not_hold_back_the_others(server, s3, bucket):
    """Review findings: the first 200 pending rows of one target hid every other target's events,
    and a target that never answered stalled all deliveries."""
    hanging = socket.socket()
    hanging.bind(("127.0.0.1", 0))
    hanging.listen(64)  # accepts connections, never answers
    receiver = Receiver().start()
    try:
        slow, good = "hang-" + uuid.uuid4().hex[:6], "good-" + uuid.uuid4().hex[:6]
        admin(server, "PUT", f"notify/targets/{slow}", {"url": f"http://127.0.0.1:{hanging.getsockname()[1]}/x", "buckets": [bucket]})
        other = bucket + "-b"
        s3.create_bucket(Bucket=other)
        admin(server, "PUT", f"notify/targets/{good}", {"url": receiver.url, "buckets": [other]})
        configure(s3, bucket, slow)
        configure(s3, other, good)
        for index in range(250):
            s3.put_object(Bucket=bucket, Key=f"k{index}", Body=b"x")
        started = time.time()
        s3.put_object(Bucket=other, Key="wanted", Body=b"y")
        records = receiver.wait_for(1, seconds=15)
        assert [r["s3"]["object"]["key"] for r in records] == ["wanted"] and time.time() - started < 15
    finally:
        hanging.close()
        receiver.stop()
