"""Regression tests for the adversarial reviews of the issue #10 fixes: the first review's findings F1-F10 and
the tagging finding, and the second review's H1-H3, M1-M6, L1 and L4. Each test names its finding in its
docstring and failed on the code before the review fixes.

Everything runs on one server of this module's own (started with an audit log, which F8 reads), in a
warehouse bucket of its own (M5 starts a second server, with a virtual-host domain); every name is unique per
run, only loopback addresses are used and every wait is bounded."""
import base64
import hashlib
import json
import os
import select
import shutil
import socket
import tempfile
import threading
import time
import types
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import boto3
import pytest
import requests
from botocore.auth import HmacV1Auth, S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from security_helpers import ERROR_TYPE, admin, make_user, s3_error, s3_status, refusal_problem, read_head
from floe_harness import REGION, ROOT_PASSWORD, ROOT_USER, FloeServer, new_server

SCHEMA = {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": False, "type": "long"}]}
DELEGATION = {"X-Iceberg-Access-Delegation": "vended-credentials"}
ROLE = "arn:aws:iam::000000000000:role/floe"
SECRET = b"REVIEW-SECRET-" + uuid.uuid4().hex.encode()
DENY_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}


def uid() -> str:
    return uuid.uuid4().hex[:8]


# --- helpers: admin API, catalog calls, S3 clients ---

def admin_call(server, method, path, body=None, key=None):
    """An admin API call (as root unless `key` is given); answers the response, whatever its status."""
    data = json.dumps(body).encode() if body is not None else b""
    if key is None:
        return server.signed(method, f"/floe/admin/v1/{path}", body=data)
    return server.signed(method, f"/floe/admin/v1/{path}", body=data, access_key=key["accessKey"], secret=key["secretKey"])


def bearer_token(server, key):
    response = requests.post(f"{server.catalog_endpoint}/v1/oauth/tokens", timeout=30, data={
        "grant_type": "client_credentials", "client_id": key["accessKey"], "client_secret": key["secretKey"]})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


class Catalog:
    """Catalog REST calls as one principal (a bearer token of its key; root by default)."""

    def __init__(self, server, warehouse, key=None):
        self.server, self.warehouse = server, warehouse
        self.token = bearer_token(server, key or {"accessKey": ROOT_USER, "secretKey": ROOT_PASSWORD})

    def __call__(self, method, path, body=None, headers=None):
        all_headers = {"Content-Type": "application/json"} if body is not None else {}
        all_headers.update(headers or {})
        all_headers["Authorization"] = "Bearer " + self.token
        data = json.dumps(body).encode() if body is not None else b""
        return requests.request(method, f"{self.server.catalog_endpoint}/v1/{self.warehouse}{path}", data=data, headers=all_headers, timeout=30)

    def create_table(self, namespace, name, headers=None, **extra):
        return self("POST", f"/namespaces/{namespace}/tables", {"name": name, "schema": SCHEMA, **extra}, headers=headers)


def s3_client(server, access_key, secret, token=None):
    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret,
                        aws_session_token=token, region_name=REGION,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def vended_s3(server, config):
    return s3_client(server, config["s3.access-key-id"], config["s3.secret-access-key"], config["s3.session-token"])


def assert_none(problems):
    """Sub-cases are all run and reported together, so a partial fix shows which remain."""
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


def key_of(location: str) -> str:
    """The key prefix of an s3://bucket/prefix location."""
    return location.split("/", 3)[3]


def head_exists(s3, bucket, key) -> bool:
    return s3_status(lambda: s3.head_object(Bucket=bucket, Key=key)) == 200


def table_grants(warehouse, allowed, denied=()):
    """iceberg:* on the namespaces `allowed` (and everything below them), Deny on the ARNs `denied` (and below)."""
    arn = f"arn:floe:iceberg:::{warehouse}"
    statements = [{"Effect": "Allow", "Action": "iceberg:*", "Resource": [r for ns in allowed for r in (f"{arn}/{ns}", f"{arn}/{ns}/*")]}]
    if denied:
        statements.append({"Effect": "Deny", "Action": "iceberg:*", "Resource": [r for d in denied for r in (f"{arn}/{d}", f"{arn}/{d}/*")]})
    return statements


# --- the world: a server with an audit log, a warehouse bucket of this module's own ---

@pytest.fixture(scope="module")
def world():
    data_dir = tempfile.mkdtemp(prefix="floe-review-")
    audit_path = os.path.join(data_dir, "audit.jsonl")
    server = FloeServer(data_dir=data_dir, env={"FLOE_AUDIT_LOG": audit_path}).start()
    try:
        root_s3 = server.boto3()
        warehouse = "rv-wh-" + uid()
        root_s3.create_bucket(Bucket=warehouse)
        yield types.SimpleNamespace(server=server, s3=root_s3, wh=warehouse, root=Catalog(server, warehouse), audit_path=audit_path)
    finally:
        server.cleanup()
        shutil.rmtree(data_dir, ignore_errors=True)


def namespace_with_secret_table(world, namespace, table):
    """Creates `namespace` (a list) and table `table` in it as root, with a secret data file; answers the table's location
    and the secret's key."""
    for depth in range(1, len(namespace) + 1):
        response = world.root("POST", "/namespaces", {"namespace": namespace[:depth]})
        assert response.status_code in (200, 409), response.text
    created = world.root.create_table("%1F".join(urllib.parse.quote(n) for n in namespace), table)
    assert created.status_code == 200, created.text
    location = created.json()["metadata"]["location"]
    secret_key = key_of(location) + "/data/secret.parquet"
    world.s3.put_object(Bucket=world.wh, Key=secret_key, Body=SECRET)
    return location, secret_key


# --- F1: a table cannot take a child namespace's place ---

def test_f1_table_at_a_child_namespace_location_is_refused(world):
    """F1: from namespace teamX (allowed), a table located at s3://<wh>/teamX/restricted (the place of the denied child
    namespace teamX.restricted, which holds table payroll) or inside payroll itself is refused (400/403): no vended
    credentials, and no purge can delete payroll's files."""
    team = f"teamx{uid()}"
    payroll_location, secret_key = namespace_with_secret_table(world, [team, "restricted"], "payroll")
    key = make_user(world.server, "f1", table_grants(world.wh, [team], denied=[f"{team}/restricted"]))
    alice = Catalog(world.server, world.wh, key)
    assert alice("GET", f"/namespaces/{team}%1Frestricted/tables/payroll").status_code == 403
    control = alice.create_table(team, "ok_" + uid())
    assert control.status_code == 200, f"alice may create tables in {team}: {control.text}"

    problems = []
    for location in (f"s3://{world.wh}/{team}/restricted", payroll_location, payroll_location + "/data"):
        name = "x_" + uid()
        created = alice.create_table(team, name, headers=DELEGATION, location=location)
        problems.append(refusal_problem(created, f"table at {location}"))
        if created.status_code == 200:
            config = created.json().get("config", {})
            if "s3.access-key-id" in config:
                stolen = s3_error(lambda: vended_s3(world.server, config).get_object(Bucket=world.wh, Key=secret_key))
                if stolen is None:
                    problems.append(f"credentials vended for a table at {location} read payroll's data")
            alice("DELETE", f"/namespaces/{team}/tables/{name}?purgeRequested=true")
    time.sleep(0.5)  # a purge (if one ran) has had time to delete
    if not head_exists(world.s3, world.wh, secret_key):
        problems.append("purging a table at the child namespace's place deleted payroll's files")
    if world.root("GET", f"/namespaces/{team}%1Frestricted/tables/payroll").status_code != 200:
        problems.append("payroll is gone")
    assert_none(problems)


def test_f1_child_namespace_place_is_refused_without_live_tables(world):
    """F1 (what remains): a child namespace's place belongs to it even when no live table owns files there. After
    teamX.restricted.payroll is dropped without purge (its files stay, as Iceberg allows), a table of teamX located at
    s3://<wh>/teamX/restricted is still refused: no credentials for restricted's files, no purge of them, and the
    denied namespace is not squatted (its owner can still create tables in it)."""
    team = f"teamx{uid()}"
    _, secret_key = namespace_with_secret_table(world, [team, "restricted"], "payroll")
    assert world.root("DELETE", f"/namespaces/{team}%1Frestricted/tables/payroll").status_code == 204
    key = make_user(world.server, "f1b", table_grants(world.wh, [team], denied=[f"{team}/restricted"]))
    alice = Catalog(world.server, world.wh, key)
    name = "x_" + uid()
    created = alice.create_table(team, name, headers=DELEGATION, location=f"s3://{world.wh}/{team}/restricted")
    problems = [refusal_problem(created, "table at the place of a child namespace without live tables")]
    if created.status_code == 200:
        config = created.json().get("config", {})
        if "s3.access-key-id" in config and s3_error(lambda: vended_s3(world.server, config).get_object(Bucket=world.wh, Key=secret_key)) is None:
            problems.append("credentials vended for it read the files the denied namespace keeps")
    squatted = world.root.create_table(f"{team}%1Frestricted", "payroll2")
    if squatted.status_code != 200:
        problems.append(f"root can no longer create tables in {team}.restricted: {squatted.status_code} {squatted.text[:160]}")
    if created.status_code == 200:
        alice("DELETE", f"/namespaces/{team}/tables/{name}?purgeRequested=true")
        time.sleep(0.5)
        if not head_exists(world.s3, world.wh, secret_key):
            problems.append("purging it deleted the files the denied namespace keeps")
    assert_none(problems)


# --- F2: a namespace's location cannot move onto a table; no table overlaps another's files ---

def test_f2_namespace_location_cannot_move_onto_a_table(world):
    """F2: setting namespace teamY's `location` property to s3://<wh>/teamY/payroll (the place of the denied table
    teamY.payroll) is refused and the property is unchanged, so a new table's default location never lies inside
    payroll; and a table can never be created overlapping another table's files (inside it, at it, or above it),
    not even by root."""
    team = f"teamy{uid()}"
    payroll_location, secret_key = namespace_with_secret_table(world, [team], "payroll")
    key = make_user(world.server, "f2", table_grants(world.wh, [team], denied=[f"{team}/payroll"]))
    alice = Catalog(world.server, world.wh, key)
    control = alice("POST", f"/namespaces/{team}/properties", {"removals": [], "updates": {"owner": "alice"}})
    assert control.status_code == 200, f"alice may update {team}'s properties: {control.text}"

    problems = []
    moved = alice("POST", f"/namespaces/{team}/properties", {"removals": [], "updates": {"location": payroll_location}})
    problems.append(refusal_problem(moved, "namespace location moved onto a table"))
    now = world.root("GET", f"/namespaces/{team}").json()["properties"].get("location", "")
    if now.rstrip("/") == payroll_location:
        problems.append(f"the namespace's location is now {now}")

    name = "data_" + uid()
    created = alice.create_table(team, name, headers=DELEGATION)
    if created.status_code == 200:
        location = created.json()["metadata"]["location"]
        if location.startswith(payroll_location + "/"):
            problems.append(f"a new table was placed inside payroll: {location}")
        config = created.json().get("config", {})
        if "s3.access-key-id" in config and s3_error(lambda: vended_s3(world.server, config).get_object(Bucket=world.wh, Key=secret_key)) is None:
            problems.append("credentials vended for the new table read payroll's data")
        alice("DELETE", f"/namespaces/{team}/tables/{name}?purgeRequested=true")
    else:
        problems.append(refusal_problem(created, "plain table after the refused move"))

    # Overlapping another table's files is refused whoever asks.
    world.root("POST", "/namespaces", {"namespace": [team, "deep"]})
    for caller, label in ((alice, "alice"), (world.root, "root")):
        for location in (payroll_location, payroll_location + "/data", f"s3://{world.wh}/{team}/deep"):
            if location.endswith("/deep"):
                world.root.create_table(f"{team}%1Fdeep", "inner")
            name = "overlap_" + uid()
            created = caller.create_table(team, name, location=location)
            problems.append(refusal_problem(created, f"{label}: table at {location} (another table's files)"))
            if created.status_code == 200:
                caller("DELETE", f"/namespaces/{team}/tables/{name}?purgeRequested=true")
    time.sleep(0.5)
    if not head_exists(world.s3, world.wh, secret_key):
        problems.append("payroll's data was purged through an overlapping table")
    assert_none(problems)


# --- F3: register with overwrite is an update of the table it replaces ---

def test_f3_register_overwrite_needs_update_table(world):
    """F3: register with "overwrite": true over table payroll, which the caller may not UpdateTable (nor load), is
    403 ForbiddenException and payroll is unchanged; the same metadata file registers fine under a new name."""
    team = f"teamr{uid()}"
    namespace_with_secret_table(world, [team], "payroll")
    before = world.root("GET", f"/namespaces/{team}/tables/payroll").json()
    key = make_user(world.server, "f3", table_grants(world.wh, [team], denied=[f"{team}/payroll"]))
    alice = Catalog(world.server, world.wh, key)
    denied_update = alice("POST", f"/namespaces/{team}/tables/payroll", {"requirements": [], "updates": [
        {"action": "set-properties", "updates": {"x": "y"}}]})
    assert denied_update.status_code == 403, denied_update.text

    # A metadata file of alice's own, at a location no live table owns (the table was dropped without purge).
    draft = "draft_" + uid()
    created = alice.create_table(team, draft, properties={"owner": "alice-was-here"})
    assert created.status_code == 200, created.text
    metadata_location = created.json()["metadata-location"]
    assert alice("DELETE", f"/namespaces/{team}/tables/{draft}").status_code == 204

    registered = alice("POST", f"/namespaces/{team}/register", {"name": "payroll", "metadata-location": metadata_location, "overwrite": True})
    problems = [refusal_problem(registered, "register overwrite of a table the caller may not update", allowed=(403,))]
    after = world.root("GET", f"/namespaces/{team}/tables/payroll").json()
    if after["metadata-location"] != before["metadata-location"]:
        problems.append(f"payroll now points at {after['metadata-location']} (was {before['metadata-location']})")
    if after["metadata"].get("properties", {}).get("owner") == "alice-was-here":
        problems.append("payroll took alice's metadata")
    control = alice("POST", f"/namespaces/{team}/register", {"name": "again_" + uid(), "metadata-location": metadata_location})
    if control.status_code != 200:
        problems.append(f"the metadata file registers under a new name (control): {control.status_code} {control.text[:200]}")
    assert_none(problems)


# --- F4: canonically equivalent names are different names and places ---

def test_f4_canonically_equivalent_names_never_reach_another_namespaces_files(world):
    """F4: namespace "café…" (U+00E9) holds table secret; a user allowed only namespace "café…" spelled e + U+0301 cannot
    load it, cannot create a table at its location, and its own table "secret" (same-looking place) gets credentials
    that do not read the other namespace's files."""
    t = uid()
    composed, decomposed = f"caf\u00e9{t}", f"cafe\u0301{t}"
    location, secret_key = namespace_with_secret_table(world, [composed], "secret")
    key = make_user(world.server, "f4", table_grants(world.wh, [decomposed]))
    alice = Catalog(world.server, world.wh, key)
    problems = []
    loaded = alice("GET", f"/namespaces/{urllib.parse.quote(composed)}/tables/secret")
    if loaded.status_code != 403:
        problems.append(f"a policy naming {decomposed!r} gave access to {composed!r}: {loaded.status_code}")
    assert world.root("POST", "/namespaces", {"namespace": [decomposed]}).status_code == 200

    name = "mine_" + uid()
    created = alice.create_table(urllib.parse.quote(decomposed), name, headers=DELEGATION, location=location)
    problems.append(refusal_problem(created, "table at the equivalent namespace's table location"))
    if created.status_code == 200:
        config = created.json().get("config", {})
        if "s3.access-key-id" in config and s3_error(lambda: vended_s3(world.server, config).get_object(Bucket=world.wh, Key=secret_key)) is None:
            problems.append("credentials vended for a table at the other namespace's location read its data")
        alice("DELETE", f"/namespaces/{urllib.parse.quote(decomposed)}/tables/{name}?purgeRequested=true")

    lookalike = alice.create_table(urllib.parse.quote(decomposed), "secret", headers=DELEGATION)
    if lookalike.status_code == 200:
        own = lookalike.json()["metadata"]["location"]
        if own.encode() == location.encode():
            problems.append(f"the look-alike table shares the location {location}")
        config = lookalike.json().get("config", {})
        if "s3.access-key-id" in config and s3_error(lambda: vended_s3(world.server, config).get_object(Bucket=world.wh, Key=secret_key)) != "AccessDenied":
            problems.append("credentials vended for the look-alike table read the other namespace's data")
        alice("DELETE", f"/namespaces/{urllib.parse.quote(decomposed)}/tables/secret?purgeRequested=true")
    time.sleep(0.5)
    if not head_exists(world.s3, world.wh, secret_key):
        problems.append("a purge in the look-alike namespace deleted the other namespace's data")
    assert_none(problems)


# --- F5: create-or-update bodies authorize each attach and member change ---

def test_f5_admin_create_bodies_authorize_attach_and_membership(world):
    """F5: a helpdesk allowed CreateUser/CreateGroup on team-* (and AttachPolicy only for policy readonly, AddGroupMember
    only for team-* members) gets 403 for PUT users/<u> {"policies": ["admin"]} and PUT groups/<g> {"policies": ["admin"],
    "members": [itself]} (new or existing), and nothing changes; the same calls with readonly / a team-* member succeed."""
    helpdesk = make_user(world.server, "f5", [
        {"Effect": "Allow", "Action": ["admin:CreateUser", "admin:GetUser", "admin:CreateAccessKey"], "Resource": "arn:floe:admin:::users/team-*"},
        {"Effect": "Allow", "Action": "admin:AttachPolicy", "Resource": ["arn:floe:admin:::users/team-*/policies/readonly",
                                                                         "arn:floe:admin:::groups/team-*/policies/readonly"]},
        {"Effect": "Allow", "Action": ["admin:CreateGroup", "admin:GetGroup"], "Resource": "arn:floe:admin:::groups/team-*"},
        {"Effect": "Allow", "Action": "admin:AddGroupMember", "Resource": "arn:floe:admin:::groups/team-*/members/team-*"}])
    t = uid()
    problems = []

    def refused(response, what):
        if response.status_code != 403:
            problems.append(f"{what}: expected 403, got {response.status_code} {response.text[:200]}")

    # A new user with policy admin, and an existing one given it.
    refused(admin_call(world.server, "PUT", f"users/team-{t}", {"policies": ["admin"]}, key=helpdesk), "new user with policy admin")
    if admin_call(world.server, "GET", f"users/team-{t}").status_code != 404:
        problems.append("the user was created by a refused request")
    existing = f"team-e{t}"
    admin(world.server, "PUT", f"users/{existing}", {"policies": ["readonly"]})
    refused(admin_call(world.server, "PUT", f"users/{existing}", {"policies": ["readonly", "admin"]}, key=helpdesk), "existing user given admin")
    if admin(world.server, "GET", f"users/{existing}").json()["policies"] != ["readonly"]:
        problems.append("the existing user's policies changed")

    # Groups: policy admin, a member outside team-*, or both.
    for suffix, body in (("a", {"policies": ["admin"], "members": [helpdesk["user"]]}), ("b", {"policies": ["admin"]}),
                         ("c", {"members": [helpdesk["user"]]})):
        group = f"team-g{suffix}{t}"
        refused(admin_call(world.server, "PUT", f"groups/{group}", body, key=helpdesk), f"new group {body}")
        if admin_call(world.server, "GET", f"groups/{group}").status_code != 404:
            problems.append(f"group {group} was created by a refused request")
    group = f"team-ge{t}"
    admin(world.server, "PUT", f"groups/{group}", {})
    refused(admin_call(world.server, "PUT", f"groups/{group}", {"policies": ["admin"], "members": [helpdesk["user"]]}, key=helpdesk),
            "existing group given admin and a member")
    if admin(world.server, "GET", f"groups/{group}").json() != {"name": group, "enabled": True, "members": [], "policies": []}:
        problems.append(f"the existing group changed: {admin(world.server, 'GET', f'groups/{group}').text}")
    denied_admin = admin_call(world.server, "GET", "users", key=helpdesk).status_code
    if denied_admin != 403:
        problems.append(f"the helpdesk may list users after the refused calls ({denied_admin})")

    # What the helpdesk is allowed to attach and add, it can set in the same bodies.
    member = f"team-m{t}"
    created = admin_call(world.server, "PUT", f"users/{member}", {"policies": ["readonly"]}, key=helpdesk)
    if created.status_code != 200:
        problems.append(f"new user with policy readonly: {created.status_code} {created.text[:200]}")
    group = f"team-gok{t}"
    created = admin_call(world.server, "PUT", f"groups/{group}", {"policies": ["readonly"], "members": [member]}, key=helpdesk)
    if created.status_code != 200:
        problems.append(f"new group with readonly and a team-* member: {created.status_code} {created.text[:200]}")
    elif admin(world.server, "GET", f"groups/{group}").json()["members"] != [member]:
        problems.append("the allowed group body was not applied")
    assert_none(problems)


# --- F6: a renamed table keeps its files; no new table may take them ---

def test_f6_new_table_at_a_renamed_tables_location_is_refused(world):
    """F6: after shared.orders is renamed to alice.orders (which keeps its files at s3://<wh>/shared/orders, and whose
    owner alice gets credentials for them), creating a new shared.orders at the same default location is refused
    (overlap): no two live tables share files."""
    t = uid()
    shared, own = f"shared{t}", f"alice{t}"
    for namespace in (shared, own):
        assert world.root("POST", "/namespaces", {"namespace": [namespace]}).status_code == 200
    created = world.root.create_table(shared, "orders")
    assert created.status_code == 200, created.text
    location = created.json()["metadata"]["location"]
    renamed = world.root("POST", "/tables/rename", {"source": {"namespace": [shared], "name": "orders"},
                                                    "destination": {"namespace": [own], "name": "orders"}})
    assert renamed.status_code == 204, renamed.text
    assert world.root("GET", f"/namespaces/{own}/tables/orders").json()["metadata"]["location"] == location

    recreated = world.root.create_table(shared, "orders")
    problems = [refusal_problem(recreated, "new shared.orders at the renamed table's location", allowed=(400, 403, 409))]
    if recreated.status_code == 200:
        problems.append(f"two live tables share {recreated.json()['metadata']['location']}")
    elif world.root("HEAD", f"/namespaces/{shared}/tables/orders").status_code != 404:
        problems.append("shared.orders exists after the refusal")
    control = world.root.create_table(shared, "orders_" + uid())
    if control.status_code != 200:
        problems.append(f"other tables can still be created in {shared}: {control.status_code} {control.text[:200]}")
    assert_none(problems)


# --- F7: namespaces are created and listed in their parent; names do not clash ---

def test_f7_namespaces_are_authorized_in_their_parent_and_names_do_not_clash(world):
    """F7: a caller allowed on the warehouse but denied on goldX gets 403 for CreateNamespace ["goldX", "child"] and for
    GET /namespaces?parent=goldX (and learns no child name); a namespace named like an existing table (goldX.payroll)
    and a table named like an existing child namespace (goldX.hr) are 409 AlreadyExistsException."""
    gold = f"gold{uid()}"
    namespace_with_secret_table(world, [gold], "payroll")
    assert world.root("POST", "/namespaces", {"namespace": [gold, "hr_secret_project"]}).status_code == 200
    scratch = f"scratch{uid()}"
    arn = f"arn:floe:iceberg:::{world.wh}"
    key = make_user(world.server, "f7", [
        {"Effect": "Allow", "Action": "iceberg:*", "Resource": [arn, f"{arn}/scratch*"]},
        {"Effect": "Deny", "Action": "iceberg:*", "Resource": [f"{arn}/{gold}", f"{arn}/{gold}/*"]}])
    bob = Catalog(world.server, world.wh, key)
    problems = []
    control = bob("POST", "/namespaces", {"namespace": [scratch]})
    if control.status_code != 200:
        problems.append(f"bob may create top-level namespaces (control): {control.status_code}")
    listed = bob("GET", f"/namespaces?parent={scratch}")
    if listed.status_code != 200:
        problems.append(f"bob may list his own namespace's children (control): {listed.status_code}")

    created = bob("POST", "/namespaces", {"namespace": [gold, "child"]})
    problems.append(refusal_problem(created, "create a child of a denied namespace", allowed=(403,)))
    if world.root("HEAD", f"/namespaces/{gold}%1Fchild").status_code != 404:
        problems.append("the child namespace was created")
    listed = bob("GET", f"/namespaces?parent={gold}")
    problems.append(refusal_problem(listed, "list the children of a denied namespace", allowed=(403,)))
    if "hr_secret_project" in listed.text:
        problems.append("the listing revealed a child of the denied namespace")

    clash = world.root("POST", "/namespaces", {"namespace": [gold, "payroll"]})
    problems.append(refusal_problem(clash, "namespace named like an existing table", allowed=(409,)))
    clash = world.root.create_table(gold, "hr_secret_project")
    problems.append(refusal_problem(clash, "table named like an existing child namespace", allowed=(409,)))
    assert_none(problems)


# --- F8: anonymous DeleteObjects needs a delete grant before the body; one audit line per batch ---

def delete_body(keys):
    body = ("<Delete>" + "".join(f"<Object><Key>{k}</Key></Object>" for k in keys) + "</Delete>").encode()
    return body, base64.b64encode(hashlib.md5(body).digest()).decode()


def test_f8_anonymous_delete_objects_and_batch_audit(world):
    """F8: an anonymous POST /<bucket>?delete on a bucket whose policy grants anonymous callers no delete is 403
    AccessDenied before the body is read (with Expect: 100-continue no 100 Continue is sent); a bucket policy granting
    anonymous s3:DeleteObject on landing/* still works key by key; and a DeleteObjects with many refused keys writes
    one audit line, not one per key."""
    s3 = world.s3
    readable = "rv-anon-" + uid()
    s3.create_bucket(Bucket=readable)
    s3.put_object(Bucket=readable, Key="k", Body=b"v")
    s3.put_bucket_policy(Bucket=readable, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{readable}/*"}]}))
    problems = []

    body, md5 = delete_body(["k"])
    response = requests.post(f"{world.server.endpoint}/{readable}?delete", data=body, headers={"Content-MD5": md5}, timeout=30)
    if response.status_code != 403 or b"<Code>AccessDenied</Code>" not in response.content:
        problems.append(f"anonymous DeleteObjects without a delete grant: {response.status_code} {response.text[:200]}")
    with socket.create_connection(("127.0.0.1", world.server.port), timeout=5) as sock:
        sock.sendall((f"POST /{readable}?delete HTTP/1.1\r\nHost: 127.0.0.1:{world.server.port}\r\nContent-Length: 100000\r\n"
                      f"Content-MD5: {md5}\r\nExpect: 100-continue\r\n\r\n").encode())
        head = read_head(sock, time.monotonic() + 5)
    if head.startswith(b"HTTP/1.1 100"):
        problems.append("anonymous DeleteObjects without a delete grant was sent 100 Continue")
    elif not head.startswith(b"HTTP/1.1 403"):
        problems.append(f"anonymous DeleteObjects with Expect: no prompt 403 (got {head[:60]!r})")
    if not head_exists(s3, readable, "k"):
        problems.append("the anonymous caller deleted an object")

    landing = "rv-land-" + uid()
    s3.create_bucket(Bucket=landing)
    for k in ("landing/a", "other/b"):
        s3.put_object(Bucket=landing, Key=k, Body=b"x")
    s3.put_bucket_policy(Bucket=landing, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{landing}/landing/*"}]}))
    body, md5 = delete_body(["landing/a", "other/b"])
    response = requests.post(f"{world.server.endpoint}/{landing}?delete", data=body, headers={"Content-MD5": md5}, timeout=30)
    if response.status_code != 200:
        problems.append(f"anonymous DeleteObjects with a landing/* grant: {response.status_code} {response.text[:200]}")
    elif b"<Key>other/b</Key><Code>AccessDenied</Code>" not in response.content.replace(b"\n", b"").replace(b" ", b""):
        problems.append(f"other/b is not an AccessDenied entry: {response.text[:400]}")
    if head_exists(s3, landing, "landing/a"):
        problems.append("landing/a (granted) was not deleted")
    if not head_exists(s3, landing, "other/b"):
        problems.append("other/b (not granted) was deleted")

    # A user allowed to delete only tmp/*: one batch of 1 allowed and 40 refused keys.
    batch = "rv-batch-" + uid()
    s3.create_bucket(Bucket=batch)
    s3.put_object(Bucket=batch, Key="tmp/a", Body=b"x")
    s3.put_object(Bucket=batch, Key="keep/0", Body=b"x")
    key = make_user(world.server, "f8", [{"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{batch}/tmp/*"}])
    user = s3_client(world.server, key["accessKey"], key["secretKey"])
    try:
        result = user.delete_objects(Bucket=batch, Delete={"Objects": [{"Key": "tmp/a"}] + [{"Key": f"keep/{i}"} for i in range(40)]})
        refused = [e["Key"] for e in result.get("Errors", []) if e["Code"] == "AccessDenied"]
        if len(refused) != 40:
            problems.append(f"expected 40 AccessDenied entries, got {len(refused)}")
    except ClientError as e:
        problems.append(f"DeleteObjects by a tmp/* user failed: {e.response['Error']['Code']}")
    if head_exists(s3, batch, "tmp/a"):
        problems.append("tmp/a was not deleted")
    if not head_exists(s3, batch, "keep/0"):
        problems.append("keep/0 was deleted")
    with open(world.audit_path) as f:
        events = [json.loads(line) for line in f if line.strip()]
    denials = [e for e in events if e.get("api") == "s3" and e.get("principal") == key["user"] and e.get("outcome") == "denied"]
    if len(denials) != 1:
        problems.append(f"one audit line for the batch's refusals, got {len(denials)}")
    assert_none(problems)


# --- F9: one caller's slow bodies cannot stop another caller's catalog writes ---

def hold_bodies(server, heads, count):
    """Opens `count` connections that send `heads` (a request head announcing a large body) and one byte of body."""
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", server.catalog_port), timeout=5)
        sock.sendall(heads.encode() + b"{")
        sockets.append(sock)
    return sockets


def answered_503(sockets, expected: int, wait: float) -> int:
    """How many of `sockets` got a 503 answer within `wait` seconds (stops waiting once `expected` did)."""
    answers = {}
    deadline = time.monotonic() + wait
    while sum(1 for d in answers.values() if d.startswith(b"HTTP/1.1 503")) < expected and len(answers) < len(sockets) \
            and time.monotonic() < deadline:
        ready, _, _ = select.select([s for s in sockets if s not in answers], [], [], max(0.05, deadline - time.monotonic()))
        for sock in ready:
            try:
                answers[sock] = sock.recv(64)
            except OSError:
                answers[sock] = b""
    return sum(1 for data in answers.values() if data.startswith(b"HTTP/1.1 503"))


def test_f9_one_callers_slow_bodies_do_not_stop_other_callers(world):
    """F9: one caller holding 8 slow catalog bodies of 8 MiB each (under one bearer token, then under one claimed SigV4
    access key with a bogus signature) gets its share (16 MiB: two bodies) and a prompt 503 for the rest, while another
    user's create-namespace still answers 200 (total budget 64 MiB)."""
    arn = f"arn:floe:iceberg:::{world.wh}"
    grants = [{"Effect": "Allow", "Action": "iceberg:*", "Resource": [arn, f"{arn}/*"]}]
    attacker = make_user(world.server, "f9a", grants)
    victim = Catalog(world.server, world.wh, make_user(world.server, "f9v", grants))
    host = f"127.0.0.1:{world.server.catalog_port}"
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    common = f"POST /v1/{world.wh}/namespaces HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {8 << 20}\r\n"
    heads = {
        "bearer token": common + f"Authorization: Bearer {bearer_token(world.server, attacker)}\r\n\r\n",
        "claimed SigV4 key": common + f"x-amz-date: {amz_date}\r\nAuthorization: AWS4-HMAC-SHA256 Credential={attacker['accessKey']}/{amz_date[:8]}"
                                      f"/us-east-1/s3tables/aws4_request, SignedHeaders=host;x-amz-date, Signature={'0' * 64}\r\n\r\n",
    }
    problems = []
    for label, head in heads.items():
        sockets = hold_bodies(world.server, head, 8)
        try:
            refused = answered_503(sockets, 6, 5.0)
            if refused < 6:
                problems.append(f"{label}: only {refused} of 8 bodies beyond the caller's 16 MiB share were refused at once")
            started = time.monotonic()
            try:
                created = victim("POST", "/namespaces", {"namespace": [f"victim{uid()}"]})
                if created.status_code != 200:
                    problems.append(f"{label}: another user's create-namespace answered {created.status_code} {created.text[:200]}")
            except requests.RequestException as e:
                problems.append(f"{label}: another user's create-namespace failed after {time.monotonic() - started:.1f} s: {e}")
        finally:
            for sock in sockets:
                sock.close()
    assert_none(problems)


def test_f9_bogus_signatures_spend_no_one_elses_share(world):
    """F9 (what remains): an unauthenticated client sending SigV4 headers with a bogus signature that claim other callers'
    access key ids (which are not secret: root's is its user name) cannot make those callers' catalog writes answer 503:
    two 8 MiB bodies claiming a victim's key leave the victim's (bearer-token) write working, and two bodies claiming
    each of four other keys (64 MiB) leave a fifth user's write working."""
    arn = f"arn:floe:iceberg:::{world.wh}"
    grants = [{"Effect": "Allow", "Action": "iceberg:*", "Resource": [arn, f"{arn}/*"]}]
    victim_key = make_user(world.server, "f9v", grants)
    victim = Catalog(world.server, world.wh, victim_key)
    claimed = [make_user(world.server, f"f9c{i}", grants)["accessKey"] for i in range(4)]
    fifth = Catalog(world.server, world.wh, make_user(world.server, "f9f", grants))
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())

    def head(access_key):
        return (f"POST /v1/{world.wh}/namespaces HTTP/1.1\r\nHost: 127.0.0.1:{world.server.catalog_port}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {8 << 20}\r\nx-amz-date: {amz_date}\r\n"
                f"Authorization: AWS4-HMAC-SHA256 Credential={access_key}/{amz_date[:8]}/us-east-1/s3tables/aws4_request, "
                f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}\r\n\r\n")

    problems = []
    for label, keys, caller in (("the victim's own key claimed", [victim_key["accessKey"]], victim),
                                ("four other keys claimed (64 MiB)", claimed, fifth)):
        sockets = []
        try:
            for access_key in keys:
                sockets += hold_bodies(world.server, head(access_key), 2)
            time.sleep(1.0)  # the server has read every head and reserved what it reserves
            try:
                created = caller("POST", "/namespaces", {"namespace": [f"victim{uid()}"]})
                if created.status_code != 200:
                    problems.append(f"{label}: the write answered {created.status_code} {created.text[:160]}")
            except requests.RequestException as e:
                problems.append(f"{label}: the write failed: {e}")
        finally:
            for sock in sockets:
                sock.close()
        time.sleep(0.3)
    assert_none(problems)


# --- F10: narrowing a service account narrows its sessions ---

def test_f10_narrowed_service_account_narrows_its_sessions(world):
    """F10: after an admin narrows a service account's policy to deny-all (PUT keys/<sa>), a session it made earlier with
    AssumeRole is refused too."""
    bucket = "rv-sess-" + uid()
    world.s3.create_bucket(Bucket=bucket)
    world.s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    key = make_user(world.server, "f10", [{"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}])
    account = admin(world.server, "POST", f"users/{key['user']}/service-accounts", {"policy": {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}}).json()
    sts = boto3.client("sts", endpoint_url=world.server.endpoint, aws_access_key_id=account["accessKey"], aws_secret_access_key=account["secretKey"],
                       region_name=REGION, config=Config(retries={"max_attempts": 1}))
    session = sts.assume_role(RoleArn=ROLE, RoleSessionName="before", DurationSeconds=3600)["Credentials"]
    session_s3 = s3_client(world.server, session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    assert session_s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"

    admin(world.server, "PUT", f"keys/{account['accessKey']}", {"policy": DENY_ALL})
    problems = []
    direct = s3_status(lambda: s3_client(world.server, account["accessKey"], account["secretKey"]).get_object(Bucket=bucket, Key="k"))
    if direct != 403:
        problems.append(f"the narrowed service account itself still reads ({direct})")
    status = s3_status(lambda: session_s3.get_object(Bucket=bucket, Key="k"))
    if status != 403:
        problems.append(f"the session made before the narrowing still reads ({status})")
    assert_none(problems)


# --- tagging: tags set with an object need s3:PutObjectTagging ---

def test_put_object_with_tagging_needs_put_object_tagging(world):
    """Tagging finding: PutObject (and CreateMultipartUpload) with x-amz-tagging by a user allowed s3:PutObject but not
    s3:PutObjectTagging is AccessDenied and stores nothing; with both actions allowed the tags are stored."""
    bucket = "rv-tag-" + uid()
    world.s3.create_bucket(Bucket=bucket)
    arn = f"arn:aws:s3:::{bucket}/*"
    put_only = make_user(world.server, "tagp", [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": arn}])
    both = make_user(world.server, "tagb", [{"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectTagging"], "Resource": arn}])
    narrow = s3_client(world.server, put_only["accessKey"], put_only["secretKey"])
    wide = s3_client(world.server, both["accessKey"], both["secretKey"])
    problems = []
    code = s3_error(lambda: narrow.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="team=data"))
    if code != "AccessDenied":
        problems.append(f"PutObject with tags without PutObjectTagging: {code}")
    if head_exists(world.s3, bucket, "tagged"):
        problems.append("the tagged object was stored")
    code = s3_error(lambda: narrow.create_multipart_upload(Bucket=bucket, Key="mp", Tagging="team=data"))
    if code != "AccessDenied":
        problems.append(f"CreateMultipartUpload with tags without PutObjectTagging: {code}")
    narrow.put_object(Bucket=bucket, Key="plain", Body=b"x")  # PutObject alone still works without tags

    wide.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="team=data")
    tags = world.s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"]
    if tags != [{"Key": "team", "Value": "data"}]:
        problems.append(f"the allowed tags were not stored: {tags}")
    assert_none(problems)


# === Second review (findings H1-H3, M1-M6, L1, L4) ===

KELVIN = "\u212A"  # KELVIN SIGN: canonically equivalent to "K", a different string of bytes


def sigv4(http, method, url, credentials, service="s3", body=b"", headers=None):
    """A SigV4-signed request (with the session token of `credentials`, when it has one) on the requests session `http`."""
    headers = dict(headers or {})
    if service == "s3":
        headers["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    request = AWSRequest(method=method, url=url, data=body, headers=headers)
    (S3SigV4Auth if service == "s3" else SigV4Auth)(credentials, service, REGION).add_auth(request)
    prepared = request.prepare()
    return http.request(method, prepared.url, headers=dict(prepared.headers), data=body, timeout=30)


def assume_role_raw(http, server, credentials, policy=None, seconds=900):
    """AssumeRole as `credentials`; answers the new Credentials (access key, secret, token) or fails the test."""
    form = {"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": ROLE, "RoleSessionName": "rv", "DurationSeconds": str(seconds)}
    if policy is not None:
        form["Policy"] = policy
    body = urllib.parse.urlencode(form).encode()
    response = sigv4(http, "POST", server.endpoint + "/", credentials, service="sts", body=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text
    ns = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
    node = ET.fromstring(response.content).find(".//s:Credentials", ns)
    return Credentials(node.findtext("s:AccessKeyId", namespaces=ns), node.findtext("s:SecretAccessKey", namespaces=ns),
                       node.findtext("s:SessionToken", namespaces=ns))


def admin_as(server, method, path, body=None, key=None, token=None):
    """An admin call signed as S3 clients sign (the path percent-encoded once, so non-ASCII names verify) with `key` (a dict
    with accessKey/secretKey; root by default) and an optional session token."""
    data = json.dumps(body).encode() if body is not None else b""
    key = key or {"accessKey": ROOT_USER, "secretKey": ROOT_PASSWORD}
    url = server.endpoint + urllib.parse.quote(f"/floe/admin/v1/{path}", safe="/~")
    return sigv4(requests, method, url, Credentials(key["accessKey"], key["secretKey"], token), body=data)


def xml_code(response):
    """The <Code> of an S3 XML error body, or None when the body is not one."""
    try:
        return ET.fromstring(response.content).findtext("Code")
    except ET.ParseError:
        return None


# --- H1: the policy cache never hands one policy text another's look-alike document ---

def test_h1_policy_cache_keeps_look_alike_policy_texts_apart(world):
    """H1: policy texts that differ only by canonically equivalent characters (K and KELVIN SIGN) are different policies.
    (1) A session whose policy is the bucket policy's text with K replaced by KELVIN SIGN is used right after the policy
    cache was emptied (1,030 distinct session policies fill it past its 1,024 entries): the bucket policy's Deny on
    Keys/* still holds for a user allowed GetObject on the bucket. (2) A session narrowed to the look-alike prefix
    (KELVIN SIGN)eys/*, used right after a session narrowed to the ASCII Keys/*, keeps its own narrowing: it cannot
    read Keys/master.pem."""
    bucket = "rv-cache-" + uid()
    world.s3.create_bucket(Bucket=bucket)
    world.s3.put_object(Bucket=bucket, Key="Keys/master.pem", Body=SECRET)
    bucket_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/Keys/*"}]})
    world.s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy)
    key = make_user(world.server, "h1", [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::rv-cache-*/*"}])
    mallory = s3_client(world.server, key["accessKey"], key["secretKey"])
    assert s3_error(lambda: mallory.get_object(Bucket=bucket, Key="Keys/master.pem")) == "AccessDenied"
    problems = []

    # (1) The cache emptied, then the look-alike of the bucket policy parsed first.
    look_alike = bucket_policy.replace("/Keys/", f"/{KELVIN}eys/")
    assert look_alike != bucket_policy
    http = requests.Session()
    parent = Credentials(key["accessKey"], key["secretKey"])
    variant = assume_role_raw(http, world.server, parent, policy=look_alike)
    fillers = [assume_role_raw(http, world.server, parent, policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/f{i}"}]})) for i in range(1030)]
    missing = f"{world.server.endpoint}/rv-none-{uid()}/x"
    for session in fillers:  # each use parses (and caches) one new text; the cache empties once it holds 1,024
        sigv4(http, "HEAD", missing, session)
    sigv4(http, "HEAD", missing, variant)  # the look-alike text is cached before the bucket policy is read again
    try:
        mallory.get_object(Bucket=bucket, Key="Keys/master.pem")
        problems.append("the bucket policy's Deny was swapped for its look-alike's: Keys/master.pem was read")
    except ClientError as e:
        if e.response["Error"]["Code"] != "AccessDenied":
            problems.append(f"Keys/master.pem after the look-alike: {e.response['Error']['Code']}")

    # (2) A session narrowed to the look-alike prefix, right after one narrowed to the ASCII prefix.
    other = "rv-cache-" + uid()
    world.s3.create_bucket(Bucket=other)
    world.s3.put_object(Bucket=other, Key="Keys/master.pem", Body=SECRET)
    ascii_policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{other}/Keys/*"}]})
    ascii_session = assume_role_raw(http, world.server, parent, policy=ascii_policy)
    kelvin_session = assume_role_raw(http, world.server, parent, policy=ascii_policy.replace("/Keys/", f"/{KELVIN}eys/"))
    url = f"{world.server.endpoint}/{other}/Keys/master.pem"
    first = sigv4(http, "GET", url, ascii_session)
    assert first.status_code == 200, f"the session narrowed to Keys/* reads it: {first.status_code} {first.text[:160]}"
    second = sigv4(http, "GET", url, kelvin_session)
    if second.status_code != 403 or SECRET in second.content:
        problems.append(f"a session narrowed to the look-alike prefix read Keys/master.pem: {second.status_code}")
    assert_none(problems)


# --- H3: deeply nested JSON is refused at once ---

def test_h3_deeply_nested_catalog_json_is_refused_promptly(world):
    """H3: a catalog body of a few KB nested 500 deep (by a caller with no catalog rights, and by one allowed only to
    create namespaces, whose body the catalog does read) is answered 400/403 in under a second, nothing is created, and
    the S3 health endpoint stays responsive meanwhile."""
    nobody = make_user(world.server, "h3n", [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::nothing/*"}])
    creator = make_user(world.server, "h3c", [{"Effect": "Allow", "Action": "iceberg:CreateNamespace", "Resource": f"arn:floe:iceberg:::{world.wh}"}])
    nested = "[" * 500 + "]" * 500
    problems = []
    for label, key in (("no catalog rights", nobody), ("CreateNamespace only", creator)):
        caller = Catalog(world.server, world.wh, key)
        namespace = "deep" + uid()
        body = '{"namespace":["%s"],"properties":{},"x":[%s]}' % (namespace, ",".join([nested] * 4))
        result = {}

        def send():
            started = time.monotonic()
            try:
                response = requests.post(f"{world.server.catalog_endpoint}/v1/{world.wh}/namespaces", data=body, timeout=60,
                                         headers={"Authorization": "Bearer " + caller.token, "Content-Type": "application/json"})
                result["response"] = response
            except requests.RequestException as e:
                result["error"] = e
            result["seconds"] = time.monotonic() - started

        sender = threading.Thread(target=send)
        sender.start()
        slow_health = []
        for _ in range(5):
            started = time.monotonic()
            try:
                status = requests.get(f"{world.server.endpoint}/floe/health/live", timeout=2).status_code
            except requests.RequestException as e:
                status = str(e)[:80]
            if status != 200 or time.monotonic() - started > 1.0:
                slow_health.append(f"{status} in {time.monotonic() - started:.2f} s")
            time.sleep(0.05)
        sender.join(70)
        if slow_health:
            problems.append(f"{label}: the S3 health endpoint was slow or failed meanwhile: {slow_health}")
        if "response" not in result:
            problems.append(f"{label}: the nested body got no answer: {result.get('error')}")
            continue
        problems.append(refusal_problem(result["response"], f"{label}: nested body ({len(body)} bytes)"))
        if result["seconds"] >= 1.0:
            problems.append(f"{label}: the nested body took {result['seconds']:.2f} s to answer")
        if world.root("GET", f"/namespaces/{namespace}").status_code != 404:
            problems.append(f"{label}: the namespace of the nested body was created")
    assert_none(problems)


# --- M1: the catalog supplies the aws:* condition keys ---

def test_m1_catalog_honours_source_ip_and_current_time_conditions(world):
    """M1: a user allowed iceberg:* with a Deny conditioned on aws:SourceIp 127.0.0.0/8 (or on aws:CurrentTime after
    2020) gets 403 ForbiddenException on create namespace from 127.0.0.1, and nothing is created; without the Deny the
    same call succeeds."""
    arn = f"arn:floe:iceberg:::{world.wh}"
    allow = {"Effect": "Allow", "Action": "iceberg:*", "Resource": [arn, f"{arn}/*"]}
    conditions = {
        "aws:SourceIp": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}},
        "aws:CurrentTime": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
    }
    control = Catalog(world.server, world.wh, make_user(world.server, "m1c", [allow]))
    created = control("POST", "/namespaces", {"namespace": ["cond" + uid()]})
    assert created.status_code == 200, created.text
    problems = []
    for label, condition in conditions.items():
        caller = Catalog(world.server, world.wh, make_user(world.server, "m1", [
            allow, {"Effect": "Deny", "Action": "iceberg:*", "Resource": "*", "Condition": condition}]))
        namespace = "cond" + uid()
        response = caller("POST", "/namespaces", {"namespace": [namespace]})
        problems.append(refusal_problem(response, f"create namespace past a Deny on {label}", allowed=(403,)))
        if world.root("GET", f"/namespaces/{namespace}").status_code != 404:
            problems.append(f"the namespace was created past the Deny on {label}")
    assert_none(problems)


# --- M2: a bucket's policy and configuration are its owner's ---

def test_m2_anonymous_callers_never_reach_bucket_policy_or_configuration(world):
    """M2: on a bucket whose policy grants "*" s3:* on the bucket and its objects, anonymous GET/PUT/DELETE ?policy,
    PUT ?versioning and PUT ?tagging are 403 AccessDenied and change nothing."""
    bucket = "rv-anonpol-" + uid()
    world.s3.create_bucket(Bucket=bucket)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]})
    world.s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    before = world.s3.get_bucket_policy(Bucket=bucket)["Policy"]
    url = f"{world.server.endpoint}/{bucket}"
    wider = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::*"]}]})
    versioning = b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"
    tagging = b"<Tagging><TagSet><Tag><Key>owner</Key><Value>anonymous</Value></Tag></TagSet></Tagging>"

    def md5(body):
        return {"Content-MD5": base64.b64encode(hashlib.md5(body).digest()).decode()}

    problems = []
    for label, method, query, body in (("GetBucketPolicy", "GET", "policy", b""), ("PutBucketVersioning", "PUT", "versioning", versioning),
                                       ("PutBucketTagging", "PUT", "tagging", tagging), ("PutBucketPolicy", "PUT", "policy", wider.encode()),
                                       ("DeleteBucketPolicy", "DELETE", "policy", b"")):
        response = requests.request(method, f"{url}?{query}", data=body, headers=md5(body) if body else {}, timeout=30)
        if response.status_code != 403 or xml_code(response) != "AccessDenied":
            problems.append(f"anonymous {label}: {response.status_code} {response.text[:160]}")
    try:
        after = world.s3.get_bucket_policy(Bucket=bucket)["Policy"]
        if json.loads(after) != json.loads(before):
            problems.append(f"the bucket policy changed: {after}")
    except ClientError as e:
        problems.append(f"the bucket policy is gone: {e.response['Error']['Code']}")
    if world.s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled":
        problems.append("versioning was enabled")
    tags = s3_error(lambda: world.s3.get_bucket_tagging(Bucket=bucket))
    if tags is None:
        problems.append(f"tags were set: {world.s3.get_bucket_tagging(Bucket=bucket)['TagSet']}")
    assert_none(problems)


# --- M3: admin names are ASCII, checked before any lookup ---

def test_m3_admin_look_alike_names_are_invalid(world):
    """M3: a helpdesk user allowed admin:* on users/* but denied the protected user Kroot… (and attaching policy Kpol…)
    uses KELVIN SIGN spellings of those names in paths and in a policies list: every request is 400 InvalidArgument and
    nothing changes (the protected user stays enabled with its policy and keys, no user gets Kpol…)."""
    protected, policy = "Kroot" + uid(), "Kpol" + uid()
    admin(world.server, "PUT", f"policies/{policy}", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]})
    admin(world.server, "PUT", f"users/{protected}", {"policies": [policy]})
    admin(world.server, "POST", f"users/{protected}/keys")
    before = admin(world.server, "GET", f"users/{protected}").json()
    helpdesk = make_user(world.server, "m3", [
        {"Effect": "Allow", "Action": "admin:*", "Resource": "arn:floe:admin:::users/*"},
        {"Effect": "Deny", "Action": "admin:*", "Resource": [f"arn:floe:admin:::users/{protected}", f"arn:floe:admin:::users/{protected}/*"]},
        {"Effect": "Deny", "Action": "admin:AttachPolicy", "Resource": f"arn:floe:admin:::users/*/policies/{policy}"}])
    helpdesk_before = admin(world.server, "GET", f"users/{helpdesk['user']}").json()
    alias, policy_alias, newcomer = KELVIN + protected[1:], KELVIN + policy[1:], "rv-m3new-" + uid()
    # The plain spellings are refused by the Deny (the control for the look-alikes).
    assert admin_call(world.server, "PUT", f"users/{protected}", {"enabled": False}, key=helpdesk).status_code == 403
    assert admin_call(world.server, "PUT", f"users/{helpdesk['user']}/policies/{policy}", key=helpdesk).status_code == 403
    problems = []
    for label, method, path, body in (
            ("disable", "PUT", f"users/{alias}", {"enabled": False}),
            ("detach", "DELETE", f"users/{alias}/policies/{policy}", None),
            ("new key", "POST", f"users/{alias}/keys", {}),
            ("attach by path", "PUT", f"users/{helpdesk['user']}/policies/{policy_alias}", None),
            ("policies list", "PUT", f"users/{newcomer}", {"policies": [policy_alias]}),
            ("delete", "DELETE", f"users/{alias}", None)):
        response = admin_as(world.server, method, path, body, key=helpdesk)
        if response.status_code != 400 or xml_code(response) != "InvalidArgument":
            problems.append(f"{label} with a look-alike name: {response.status_code} {response.text[:160]}")
    after = admin_call(world.server, "GET", f"users/{protected}")
    if after.status_code != 200:
        problems.append(f"the protected user is gone: {after.status_code}")
    else:
        after = after.json()
        for field in ("enabled", "policies", "accessKeys", "serviceAccounts"):
            if after[field] != before[field]:
                problems.append(f"the protected user's {field} changed: {before[field]} -> {after[field]}")
    helpdesk_after = admin(world.server, "GET", f"users/{helpdesk['user']}").json()
    if helpdesk_after["policies"] != helpdesk_before["policies"]:
        problems.append(f"the helpdesk's policies changed: {helpdesk_after['policies']}")
    if admin_call(world.server, "GET", f"users/{newcomer}").status_code != 404:
        problems.append("a user was created with the look-alike policy list")
    assert_none(problems)


# --- M4: narrowed or temporary callers cannot mint long-term credentials ---

def test_m4_service_accounts_and_sessions_cannot_mint_credentials(world):
    """M4: a service account whose narrowing policy allows admin:CreateServiceAccount/CreateAccessKey, and an STS
    session of its (entitled) parent, cannot create access keys or service accounts: 403, nothing created."""
    bucket = "rv-mint-" + uid()
    world.s3.create_bucket(Bucket=bucket)
    parent = make_user(world.server, "m4", [
        {"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]},
        {"Effect": "Allow", "Action": ["admin:CreateServiceAccount", "admin:CreateAccessKey"], "Resource": "arn:floe:admin:::users/*"}])
    name = parent["user"]
    narrow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/pub/*"},
        {"Effect": "Allow", "Action": ["admin:CreateServiceAccount", "admin:CreateAccessKey"], "Resource": "arn:floe:admin:::*"}]}
    created = admin_as(world.server, "POST", f"users/{name}/service-accounts", {"policy": narrow}, key=parent)
    assert created.status_code == 200, f"the parent may create service accounts: {created.text}"
    account = created.json()
    session = assume_role_raw(requests.Session(), world.server, Credentials(parent["accessKey"], parent["secretKey"]), policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "NotAction": ["s3:DeleteObject", "s3:PutObject"], "Resource": "*"}]}))
    before = admin(world.server, "GET", f"users/{name}").json()
    problems = []
    for label, key, token in (("service account", account, None),
                              ("STS session", {"accessKey": session.access_key, "secretKey": session.secret_key}, session.token)):
        for what, path, body in (("an access key", f"users/{name}/keys", {}), ("a service account", f"users/{name}/service-accounts", {})):
            response = admin_as(world.server, "POST", path, body, key=key, token=token)
            if response.status_code != 403:
                problems.append(f"the {label} created {what}: {response.status_code} {response.text[:160]}")
    after = admin(world.server, "GET", f"users/{name}").json()
    for field in ("accessKeys", "serviceAccounts"):
        if after[field] != before[field]:
            problems.append(f"{field} changed: {before[field]} -> {after[field]}")
    assert_none(problems)


# --- M5: a SigV2 signature for one bucket does not open another by virtual host ---

def test_m5_sigv2_signature_cannot_be_replayed_on_another_virtual_host():
    """M5: on a server with FLOE_DOMAIN=s3.local, a SigV2 presigned URL (and a SigV2 header-signed request) for
    /bucketA/pub/file replayed with Host: bucketB.s3.local (where bucketB holds the key bucketA/pub/file) is 403 and never
    returns bucketB's object; the genuine requests still work."""
    server = new_server(FLOE_DOMAIN="s3.local")
    try:
        s3 = server.boto3()
        public, secret = "rv-data-" + uid(), "rv-sec-" + uid()
        s3.create_bucket(Bucket=public)
        s3.create_bucket(Bucket=secret)
        s3.put_object(Bucket=public, Key="pub/file", Body=b"public")
        s3.put_object(Bucket=secret, Key=f"{public}/pub/file", Body=SECRET)
        v2 = boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=ROOT_USER, aws_secret_access_key=ROOT_PASSWORD,
                          region_name=REGION, config=Config(signature_version="s3", s3={"addressing_style": "path"}))
        url = v2.generate_presigned_url("get_object", Params={"Bucket": public, "Key": "pub/file"}, ExpiresIn=300)
        assert "Signature=" in url and "AWSAccessKeyId=" in url, url
        assert requests.get(url, timeout=10).content == b"public"
        split = urllib.parse.urlsplit(url)
        host = f"{secret}.s3.local:{server.port}"
        problems = []
        replay = requests.get(f"{server.endpoint}{split.path}?{split.query}", headers={"Host": host}, timeout=10)
        if replay.status_code != 403 or SECRET in replay.content:
            problems.append(f"presigned URL replayed on {host}: {replay.status_code} {replay.content[:120]!r}")

        request = AWSRequest(method="GET", url=f"{server.endpoint}/{public}/pub/file")
        HmacV1Auth(Credentials(ROOT_USER, ROOT_PASSWORD)).add_auth(request)
        headers = dict(request.prepare().headers)
        genuine = requests.get(f"{server.endpoint}/{public}/pub/file", headers=headers, timeout=10)
        if genuine.content != b"public":
            problems.append(f"the genuine SigV2 header request failed: {genuine.status_code} {genuine.text[:120]}")
        headers["Host"] = host
        replay = requests.get(f"{server.endpoint}/{public}/pub/file", headers=headers, timeout=10)
        if replay.status_code != 403 or SECRET in replay.content:
            problems.append(f"SigV2 header request replayed on {host}: {replay.status_code} {replay.content[:120]!r}")
        assert_none(problems)
    finally:
        server.cleanup()


# --- M6: key routes are authorized on the key's owner too ---

def test_m6_key_routes_are_authorized_on_the_keys_owner(world):
    """M6: a user allowed admin:UpdateAccessKey and admin:DeleteAccessKey only on keys/* and users/<self>/keys/* cannot
    update or delete another user's key (403, the key stays enabled and working) but can update and delete its own."""
    name = f"rv-m6a-{uid()}"
    admin(world.server, "PUT", f"policies/{name}", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["admin:UpdateAccessKey", "admin:DeleteAccessKey"],
         "Resource": ["arn:floe:admin:::keys/*", f"arn:floe:admin:::users/{name}/keys/*"]}]})
    admin(world.server, "PUT", f"users/{name}", {"policies": [name]})
    alice = admin(world.server, "POST", f"users/{name}/keys").json()
    bob = make_user(world.server, "m6b", [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}])
    own = admin(world.server, "POST", f"users/{name}/keys").json()
    problems = []
    for label, method, body in (("disable", "PUT", {"enabled": False}), ("delete", "DELETE", None)):
        response = admin_call(world.server, method, f"keys/{bob['accessKey']}", body, key=alice)
        if response.status_code != 403:
            problems.append(f"alice could {label} bob's key: {response.status_code} {response.text[:160]}")
    if bob["accessKey"] not in admin(world.server, "GET", f"users/{bob['user']}").json()["accessKeys"]:
        problems.append("bob's key is gone")
    elif s3_error(lambda: s3_client(world.server, bob["accessKey"], bob["secretKey"]).list_buckets()) is not None:
        problems.append("bob's key no longer works")
    response = admin_call(world.server, "PUT", f"keys/{own['accessKey']}", {"enabled": False}, key=alice)
    if response.status_code != 200:
        problems.append(f"alice could not disable her own key: {response.status_code} {response.text[:160]}")
    response = admin_call(world.server, "DELETE", f"keys/{own['accessKey']}", key=alice)
    if response.status_code != 204:
        problems.append(f"alice could not delete her own key: {response.status_code} {response.text[:160]}")
    assert_none(problems)


# --- L1: anonymous callers cannot rewrite response headers ---

def test_l1_anonymous_response_header_overrides_are_refused(world):
    """L1: an anonymous GET of a public object with ?response-content-type=text/html is 400 InvalidRequest (never served
    as text/html); the plain anonymous GET still works."""
    bucket = "rv-pub-" + uid()
    world.s3.create_bucket(Bucket=bucket)
    world.s3.put_object(Bucket=bucket, Key="pub/x.txt", Body=b"<script>alert(1)</script>", ContentType="text/plain")
    world.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/pub/*"}]}))
    url = f"{world.server.endpoint}/{bucket}/pub/x.txt"
    assert requests.get(url, timeout=10).status_code == 200
    response = requests.get(url + "?response-content-type=text/html", timeout=10)
    assert "text/html" not in response.headers.get("Content-Type", ""), response.headers
    assert response.status_code == 400 and xml_code(response) == "InvalidRequest", f"{response.status_code} {response.text[:200]}"


# --- L4: STS accepts SigV4 only ---

def test_l4_sts_refuses_sigv2(world):
    """L4: an AssumeRole request signed with SigV2 (Authorization: AWS key:signature) is refused with 403 and no
    credentials; the same request signed with SigV4 works."""
    key = make_user(world.server, "l4", [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])
    body = urllib.parse.urlencode({"Action": "AssumeRole", "Version": "2011-06-15", "RoleArn": ROLE, "RoleSessionName": "v2"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    request = AWSRequest(method="POST", url=world.server.endpoint + "/", data=body, headers=headers)
    HmacV1Auth(Credentials(key["accessKey"], key["secretKey"])).add_auth(request)
    prepared = request.prepare()
    assert prepared.headers["Authorization"].startswith("AWS ")
    response = requests.post(prepared.url, data=body, headers=dict(prepared.headers), timeout=30)
    assert response.status_code == 403 and b"SessionToken" not in response.content, f"{response.status_code} {response.text[:300]}"
    assume_role_raw(requests.Session(), world.server, Credentials(key["accessKey"], key["secretKey"]))


# --- H2: a chosen table location starts empty ---

def test_h2_table_at_a_location_holding_objects_is_refused(world):
    """H2: a catalog-only user (iceberg:* on its namespace, no S3 rights) cannot create a table whose explicit location
    already holds objects (S3 data under the namespace's prefix, or a dropped table's leftover files): 403
    ForbiddenException, no vended credentials, and no purge deletes those objects; an empty chosen location still works."""
    team = "h2" + uid()
    assert world.root("POST", "/namespaces", {"namespace": [team]}).status_code == 200
    created = world.root.create_table(team, "payroll")
    assert created.status_code == 200, created.text
    payroll_location = created.json()["metadata"]["location"]
    leftover = key_of(payroll_location) + "/data/part-0.parquet"
    world.s3.put_object(Bucket=world.wh, Key=leftover, Body=SECRET)
    assert world.root("DELETE", f"/namespaces/{team}/tables/payroll").status_code == 204  # no purge: the files stay
    backup = f"{team}/backups/db/2026.dump"
    world.s3.put_object(Bucket=world.wh, Key=backup, Body=SECRET)

    key = make_user(world.server, "h2", table_grants(world.wh, [team]))
    intern = Catalog(world.server, world.wh, key)
    assert s3_error(lambda: s3_client(world.server, key["accessKey"], key["secretKey"]).get_object(Bucket=world.wh, Key=backup)) == "AccessDenied"
    problems = []
    for location, held in ((f"s3://{world.wh}/{team}/backups", backup), (f"s3://{world.wh}/{team}/backups/db", backup),
                           (payroll_location, leftover)):
        name = "t_" + uid()
        response = intern.create_table(team, name, headers=DELEGATION, location=location)
        problems.append(refusal_problem(response, f"table at {location}", allowed=(403,)))
        if response.status_code == 200:
            if vended_credentials_read(world, response, held):
                problems.append(f"credentials vended for a table at {location} read the objects already there")
            intern("DELETE", f"/namespaces/{team}/tables/{name}?purgeRequested=true")
    time.sleep(0.5)  # a purge (if one ran) has had time to delete
    for held in (backup, leftover):
        if not head_exists(world.s3, world.wh, held):
            problems.append(f"{held} (there before any table) was deleted by a purge")
    fresh = intern.create_table(team, "fresh_" + uid(), location=f"s3://{world.wh}/{team}/empty-{uid()}")
    if fresh.status_code != 200:
        problems.append(f"a table at an empty chosen location was refused: {fresh.status_code} {fresh.text[:160]}")
    assert_none(problems)


def vended_credentials_read(world, response, key) -> bool:
    """Whether a table response vended credentials, and they read `key` in the warehouse bucket."""
    config = response.json().get("config", {})
    return "s3.access-key-id" in config and s3_error(lambda: vended_s3(world.server, config).get_object(Bucket=world.wh, Key=key)) is None


def test_h2_default_location_over_existing_objects_is_not_handed_out(world):
    """H2 (default location): S3 data that no table wrote (put directly under s3://<wh>/<ns>/<table>/) is not handed to
    a catalog-only user who creates a table of that name at its default location: the create is refused (403), or
    the table's vended credentials cannot read the data; and dropping the table with purge never deletes it."""
    team = "h2d" + uid()
    assert world.root("POST", "/namespaces", {"namespace": [team]}).status_code == 200
    held = f"{team}/reports/data/salaries.parquet"
    world.s3.put_object(Bucket=world.wh, Key=held, Body=SECRET)
    key = make_user(world.server, "h2d", table_grants(world.wh, [team]))
    intern = Catalog(world.server, world.wh, key)
    assert s3_error(lambda: s3_client(world.server, key["accessKey"], key["secretKey"]).get_object(Bucket=world.wh, Key=held)) == "AccessDenied"
    problems = []
    response = intern.create_table(team, "reports", headers=DELEGATION)
    if response.status_code == 200:
        location = response.json()["metadata"]["location"]
        if vended_credentials_read(world, response, held):
            problems.append(f"credentials vended for the new table at {location} read the objects already there")
        intern("DELETE", f"/namespaces/{team}/tables/reports?purgeRequested=true")
        time.sleep(0.5)  # a purge has had time to delete
        if not head_exists(world.s3, world.wh, held):
            problems.append(f"purging the new table at {location} deleted {held}, which was there before it")
    else:
        problems.append(refusal_problem(response, "table at a default location holding objects", allowed=(403,)))
    assert_none(problems)


# --- third review round ---

def creating_change(namespace, name, location):
    """A transaction change that creates `namespace.name` at `location` (assert-create)."""
    return {"identifier": {"namespace": [namespace], "name": name}, "requirements": [{"type": "assert-create"}],
            "updates": [{"action": "add-schema", "schema": SCHEMA}, {"action": "set-current-schema", "schema-id": -1},
                        {"action": "set-location", "location": location}]}


def test_r3_committed_locations_are_spelled_as_the_index_compares_them(world):
    """Third review F1: a commit stored an s3a:// location as sent, which the location index never
    matched, so a later namespace's tables were created inside it and its vended credentials read them."""
    ns = f"r3a{uid()}"
    assert world.root("POST", "/namespaces", {"namespace": [ns]}).status_code == 200
    for spelling in (f"s3a://{world.wh}/{ns}/sneaky", f"s3://{world.wh}/{ns}/sneaky/"):
        response = world.root("POST", "/transactions/commit", {"table-changes": [creating_change(ns, "sneaky", spelling)]})
        assert response.status_code == 400 and response.json()["error"]["type"] == "BadRequestException", response.text
    assert world.root("HEAD", f"/namespaces/{ns}/tables/sneaky").status_code == 404
    good = world.root("POST", "/transactions/commit", {"table-changes": [creating_change(ns, "plain", f"s3://{world.wh}/{ns}/plain")]})
    assert good.status_code == 204, good.text


def test_r3_one_transaction_cannot_place_two_tables_over_each_other(world):
    """Third review F2: the changes of one /transactions/commit were checked against the store
    only, so two new tables could share (or nest) one place."""
    ns = f"r3b{uid()}"
    assert world.root("POST", "/namespaces", {"namespace": [ns]}).status_code == 200
    for inner in (f"s3://{world.wh}/{ns}/p/q", f"s3://{world.wh}/{ns}/p"):
        response = world.root("POST", "/transactions/commit", {"table-changes": [
            creating_change(ns, "outer", f"s3://{world.wh}/{ns}/p"), creating_change(ns, "inner", inner)]})
        assert response.status_code == 403 and response.json()["error"]["type"] == "ForbiddenException", response.text
        for name in ("outer", "inner"):
            assert world.root("HEAD", f"/namespaces/{ns}/tables/{name}").status_code == 404


def test_r3_catalog_names_hold_no_slash(world):
    """Third review F3: names are joined by '/' in ARNs and locations, so a table "payroll/x" in
    gold had the ARN of a table in namespace gold.payroll."""
    ns = f"r3c{uid()}"
    assert world.root("POST", "/namespaces", {"namespace": [ns]}).status_code == 200
    table = world.root.create_table(ns, "payroll/x")
    assert table.status_code == 400 and table.json()["error"]["type"] == "BadRequestException", table.text
    namespace = world.root("POST", "/namespaces", {"namespace": [f"{ns}/x"]})
    assert namespace.status_code == 400, namespace.text


def test_r3_anonymous_batch_delete_honours_not_action_grants(world):
    """Third review F4: the anonymous DeleteObjects pre-check ignored NotAction statements, so a
    batch was refused where each single delete was allowed."""
    bucket = f"r3d-{uid()}"
    world.s3.create_bucket(Bucket=bucket)
    world.s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "NotAction": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/tmp/*"}]}))
    world.s3.put_object(Bucket=bucket, Key="tmp/a", Body=b"a")
    world.s3.put_object(Bucket=bucket, Key="keep/b", Body=b"b")
    body, md5 = delete_body(["tmp/a", "keep/b"])
    headers = {"Content-MD5": md5, "Content-Type": "application/xml"}
    reply = requests.post(f"{world.server.endpoint}/{bucket}?delete", data=body, headers=headers, timeout=10)
    assert reply.status_code == 200, reply.text
    assert "<Deleted><Key>tmp/a</Key>" in reply.text and "AccessDenied" in reply.text
    assert not head_exists(world.s3, bucket, "tmp/a") and head_exists(world.s3, bucket, "keep/b")


def test_r3_users_whose_keys_expire_still_manage_keys(world):
    """Third review F5: a user signing with an expiring key was treated as a session and could not
    create access keys, although its policy allowed it."""
    key = make_user(world.server, "exp", [{"Effect": "Allow", "Action": "admin:*", "Resource": "arn:floe:admin:::*"}])
    expiring = admin(world.server, "POST", f"users/{key['user']}/keys", {"expiresInSeconds": 86400}).json()
    created = admin_call(world.server, "POST", f"users/{key['user']}/keys", {"expiresInSeconds": 3600}, key=expiring)
    assert created.status_code == 200, created.text
