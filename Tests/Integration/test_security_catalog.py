"""Regression tests for the catalog half of issue #10 (defects 2, 3, 5, 6, 7 and the catalog part of 12):
every test names its defect and failed on the code the issue was filed against (commit 79fb75a).

Everything runs on the shared (SQLite catalog) server, in a warehouse bucket of this module's own, so
bucket policies and namespaces here touch nothing that other modules use."""
import json
import socket
import time
import types
import uuid

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from security_helpers import ERROR_TYPE, admin, make_user, s3_error, s3_status, refusal_problem
from floe_harness import ROOT_PASSWORD, ROOT_USER

SCHEMA = {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "id", "required": False, "type": "long"}]}
DELEGATION = {"X-Iceberg-Access-Delegation": "vended-credentials"}
ROLE = "arn:aws:iam::000000000000:role/floe"
SECRET = b"TOP-SECRET-" + uuid.uuid4().hex.encode()


def uid() -> str:
    return uuid.uuid4().hex[:8]


# --- helpers: admin API, catalog calls, S3 clients ---

def bearer(server, access_key, secret):
    response = requests.post(f"{server.catalog_endpoint}/v1/oauth/tokens", timeout=30, data={
        "grant_type": "client_credentials", "client_id": access_key, "client_secret": secret})
    assert response.status_code == 200, response.text
    return {"Authorization": "Bearer " + response.json()["access_token"]}


class Catalog:
    """Catalog REST calls as one principal: a bearer token, or SigV4 (s3tables) with session credentials."""

    def __init__(self, server, warehouse, key=None, session=None):
        self.server, self.warehouse, self.session = server, warehouse, session
        self.auth = None if session else bearer(server, *(key or (ROOT_USER, ROOT_PASSWORD)))

    def url(self, path):
        return f"{self.server.catalog_endpoint}/v1/{self.warehouse}{path}"

    def __call__(self, method, path, body=None, headers=None, raw_url=None):
        url = raw_url or self.url(path)
        data = json.dumps(body).encode() if body is not None else b""
        all_headers = {"Content-Type": "application/json"} if body is not None else {}
        all_headers.update(headers or {})
        if self.session:
            request = AWSRequest(method=method, url=url, data=data, headers=all_headers)
            SigV4Auth(Credentials(self.session["AccessKeyId"], self.session["SecretAccessKey"], self.session["SessionToken"]),
                      "s3tables", "us-east-1").add_auth(request)
            all_headers = dict(request.prepare().headers)
        else:
            all_headers.update(self.auth)
        return requests.request(method, url, data=data, headers=all_headers, timeout=30)

    def create_table(self, namespace, name, headers=None, **extra):
        return self("POST", f"/namespaces/{namespace}/tables", {"name": name, "schema": SCHEMA, **extra}, headers=headers)


def s3_client(server, access_key, secret, token=None):
    return boto3.client("s3", endpoint_url=server.endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret,
                        aws_session_token=token, region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


def vended_s3(server, config):
    return s3_client(server, config["s3.access-key-id"], config["s3.secret-access-key"], config["s3.session-token"])


def sts_client(server, access_key, secret, token=None):
    return boto3.client("sts", endpoint_url=server.endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret,
                        aws_session_token=token, region_name="us-east-1", config=Config(retries={"max_attempts": 1}))


def assert_refused(response, what, allowed=(400, 403)):
    problem = refusal_problem(response, what, allowed)
    assert problem is None, problem


def assert_none(problems):
    """Sub-cases are all run and reported together, so a partial fix shows which remain."""
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


def keys_under(s3, bucket, prefix):
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


def assert_create(name_uuid=None):
    """The updates of a table created by a commit with `assert-create` (the second half of stage-create)."""
    return [
        {"action": "assign-uuid", "uuid": name_uuid or str(uuid.uuid4())}, {"action": "upgrade-format-version", "format-version": 2},
        {"action": "add-schema", "schema": SCHEMA}, {"action": "set-current-schema", "schema-id": -1},
        {"action": "add-spec", "spec": {"spec-id": 0, "fields": []}}, {"action": "set-default-spec", "spec-id": -1},
        {"action": "add-sort-order", "sort-order": {"order-id": 0, "fields": []}}, {"action": "set-default-sort-order", "sort-order-id": -1},
    ]


def table_change(namespace, name, updates, requirements=()):
    return {"identifier": {"namespace": [namespace], "name": name}, "requirements": list(requirements), "updates": updates}


# --- the world: a warehouse of our own, a victim bucket, root-owned tables, a sandboxed engineer ---

@pytest.fixture(scope="module")
def lake(shared_server):
    server = shared_server
    root_s3 = server.boto3()
    wh, victim = "sc-wh-" + uid(), "sc-victim-" + uid()
    for bucket in (wh, victim):
        root_s3.create_bucket(Bucket=bucket)
    for key in ("x/secret.txt", "data/secret.bin", "ns/secret.txt", "meta/secret.txt"):
        root_s3.put_object(Bucket=victim, Key=key, Body=SECRET)
    root = Catalog(server, wh)
    for namespace in ("gold", "sandbox", "vault", "open", "vend"):
        assert root("POST", "/namespaces", {"namespace": [namespace]}).status_code == 200
    for namespace, table in (("gold", "payroll"), ("vend", "t6")):
        assert root.create_table(namespace, table).status_code == 200
    root_s3.put_object(Bucket=wh, Key="gold/payroll/data/salaries.bin", Body=SECRET)
    root_s3.put_object(Bucket=wh, Key="vend/t6/data/private/secret.bin", Body=SECRET)
    payroll = root("GET", "/namespaces/gold/tables/payroll").json()
    # The engineer may do anything to namespaces named sandbox* (and create namespaces), nothing else, and has no S3 rights.
    engineer = make_user(server, "eng", [
        {"Effect": "Allow", "Action": "iceberg:*", "Resource": [f"arn:floe:iceberg:::{wh}/sandbox*"]},
        {"Effect": "Allow", "Action": ["iceberg:CreateNamespace", "iceberg:ListNamespaces"], "Resource": f"arn:floe:iceberg:::{wh}"},
        {"Effect": "Deny", "Action": "iceberg:*", "Resource": f"arn:floe:iceberg:::{wh}/sandbox/secret"},
    ])
    return types.SimpleNamespace(server=server, s3=root_s3, wh=wh, victim=victim, root=root, payroll=payroll,
                                 engineer=engineer, eng=Catalog(server, wh, (engineer["accessKey"], engineer["secretKey"])))


# --- defect 2: catalog locations are confined to the warehouse bucket and the namespace's location ---

def test_create_table_location_in_another_bucket_is_refused(lake):
    """Defect 2: createTable with `location` in another bucket is refused (400/403), nothing is written there,
    and no purge can then delete that bucket's objects."""
    name = "escape_" + uid()
    created = lake.eng.create_table("sandbox", name, headers=DELEGATION, location=f"s3://{lake.victim}/data")
    written = keys_under(lake.s3, lake.victim, "data/") - {"data/secret.bin"}
    if created.status_code == 200:
        lake.eng("DELETE", f"/namespaces/sandbox/tables/{name}?purgeRequested=true")
    assert "data/secret.bin" in keys_under(lake.s3, lake.victim, "data/"), \
        "a catalog-only user purged another bucket's objects through a table located there"
    assert written == set(), f"the catalog wrote into another bucket: {written}"
    assert_refused(created, "createTable location in another bucket")
    assert lake.root("GET", f"/namespaces/sandbox/tables/{name}").status_code == 404


def test_create_table_location_under_another_namespace_is_refused(lake):
    """Defect 2: from namespace `sandbox`, createTable with location s3://<warehouse>/gold/payroll (another
    namespace's table, same bucket) is refused and writes nothing under gold/."""
    before = keys_under(lake.s3, lake.wh, "gold/")
    name = "payroll_" + uid()
    created = lake.eng.create_table("sandbox", name, headers=DELEGATION, location=f"s3://{lake.wh}/gold/payroll")
    assert_refused(created, "createTable location under another namespace")
    assert keys_under(lake.s3, lake.wh, "gold/") == before
    assert lake.root("GET", f"/namespaces/sandbox/tables/{name}").status_code == 404


def test_create_view_location_in_another_bucket_is_refused(lake):
    """Defect 2: view locations are confined like table locations: createView with `location` in another bucket is refused."""
    name = "view_" + uid()
    body = {"name": name, "location": f"s3://{lake.victim}/views", "schema": SCHEMA,
            "view-version": {"version-id": 1, "timestamp-ms": 1700000000000, "schema-id": 0, "summary": {},
                             "representations": [{"type": "sql", "sql": "SELECT 1 AS id", "dialect": "spark"}], "default-namespace": []}}
    created = lake.eng("POST", "/namespaces/sandbox/views", body)
    assert keys_under(lake.s3, lake.victim, "views/") == set(), "the catalog wrote a view's metadata into another bucket"
    assert_refused(created, "createView location in another bucket")


def test_namespace_location_in_another_bucket_is_refused(lake):
    """Defect 2: a namespace created with a `location` property in another bucket is refused (and not created)."""
    namespace = "sandbox_ns_" + uid()
    control = lake.eng("POST", "/namespaces", {"namespace": [namespace + "_ok"], "properties": {"location": f"s3://{lake.wh}/{namespace}_ok"}})
    assert control.status_code == 200, f"the engineer may create namespaces (with their default location): {control.text}"
    created = lake.eng("POST", "/namespaces", {"namespace": [namespace], "properties": {"location": f"s3://{lake.victim}/ns"}})
    assert_refused(created, "createNamespace with location in another bucket")
    assert lake.root("HEAD", f"/namespaces/{namespace}").status_code == 404


def test_namespace_properties_update_cannot_move_location_elsewhere(lake):
    """Defect 2: updating a namespace's properties to set `location` in another bucket is refused; the property is unchanged."""
    namespace = "sandbox_props_" + uid()
    assert lake.root("POST", "/namespaces", {"namespace": [namespace]}).status_code == 200
    control = lake.eng("POST", f"/namespaces/{namespace}/properties", {"removals": [], "updates": {"owner": "engineer"}})
    assert control.status_code == 200, f"the engineer may update this namespace's properties: {control.text}"
    updated = lake.eng("POST", f"/namespaces/{namespace}/properties", {"removals": [], "updates": {"location": f"s3://{lake.victim}/ns"}})
    assert_refused(updated, "namespace properties update with location in another bucket")
    properties = lake.root("GET", f"/namespaces/{namespace}").json()["properties"]
    assert lake.victim not in properties.get("location", "")


def test_namespace_aliasing_another_namespace_gives_no_access_to_its_tables(lake):
    """Defect 2: a namespace whose `location` is another namespace's location (same bucket) must not become a way to
    reach that namespace's tables: either the namespace or the table is refused, or the vended credentials of the new
    table cannot read the other table's files. A namespace location inside the warehouse bucket is not enough: it must
    not overlap another namespace."""
    namespace = "sandbox_alias_" + uid()
    created = lake.eng("POST", "/namespaces", {"namespace": [namespace], "properties": {"location": f"s3://{lake.wh}/gold"}})
    if created.status_code != 200:
        assert_refused(created, "namespace aliasing gold")
        return
    table = lake.eng.create_table(namespace, "payroll", headers=DELEGATION)
    if table.status_code != 200:
        assert_refused(table, "table inside an aliasing namespace")
        return
    assert not table.json()["metadata"]["location"].startswith(f"s3://{lake.wh}/gold/"), \
        f"a table of namespace {namespace} was placed inside namespace gold: {table.json()['metadata']['location']}"
    s3 = vended_s3(lake.server, table.json()["config"])
    assert s3_error(lambda: s3.get_object(Bucket=lake.wh, Key="gold/payroll/data/salaries.bin")) == "AccessDenied"


def test_commit_set_location_elsewhere_is_refused(lake):
    """Defect 2: a commit with `set-location` into another bucket, or under another namespace, is refused; the location
    is unchanged and no metadata file lands there."""
    name = "moving_" + uid()
    created = lake.eng.create_table("sandbox", name)
    assert created.status_code == 200, created.text
    location = created.json()["metadata"]["location"]
    gold_before = keys_under(lake.s3, lake.wh, "gold/")
    problems = []
    for target in (f"s3://{lake.victim}/moved", f"s3://{lake.wh}/gold/payroll"):
        committed = lake.eng("POST", f"/namespaces/sandbox/tables/{name}", {"requirements": [], "updates": [
            {"action": "set-location", "location": target}]})
        problems.append(refusal_problem(committed, f"set-location {target}"))
        now = lake.root("GET", f"/namespaces/sandbox/tables/{name}").json()["metadata"]["location"]
        if now != location:
            problems.append(f"set-location {target}: the table moved to {now}")
    if keys_under(lake.s3, lake.victim, "moved/"):
        problems.append("a commit wrote metadata into another bucket")
    if keys_under(lake.s3, lake.wh, "gold/") != gold_before:
        problems.append("a commit wrote metadata under another namespace")
    assert_none(problems)


def test_write_metadata_path_elsewhere_is_refused(lake):
    """Defect 2: `write.metadata.path` outside the table's confinement (another bucket, another namespace) is refused at
    create and on set-properties; no object appears there."""
    problems = []
    name = "metapath_" + uid()
    created = lake.eng.create_table("sandbox", name, properties={"write.metadata.path": f"s3://{lake.victim}/meta/c"})
    problems.append(refusal_problem(created, "createTable with write.metadata.path in another bucket"))
    if keys_under(lake.s3, lake.victim, "meta/c/"):
        problems.append("createTable wrote metadata into another bucket")

    name = "metaprops_" + uid()
    assert lake.eng.create_table("sandbox", name).status_code == 200
    gold_before = keys_under(lake.s3, lake.wh, "gold/")
    for path in (f"s3://{lake.victim}/meta/p", f"s3://{lake.wh}/gold/payroll/metadata"):
        committed = lake.eng("POST", f"/namespaces/sandbox/tables/{name}", {"requirements": [], "updates": [
            {"action": "set-properties", "updates": {"write.metadata.path": path}}]})
        problems.append(refusal_problem(committed, f"set-properties write.metadata.path={path}"))
    if keys_under(lake.s3, lake.victim, "meta/p/"):
        problems.append("a commit wrote metadata into another bucket")
    if keys_under(lake.s3, lake.wh, "gold/") != gold_before:
        problems.append("a commit wrote metadata under another namespace")
    properties = lake.root("GET", f"/namespaces/sandbox/tables/{name}").json()["metadata"].get("properties", {})
    if "write.metadata.path" in properties:
        problems.append(f"write.metadata.path was set to {properties['write.metadata.path']}")
    assert_none(problems)


def test_register_metadata_outside_the_namespace_is_refused(lake):
    """Defect 2: register (and register-view) with a metadata-location in another bucket, a file the caller cannot read
    through S3, is refused without revealing it; so is adopting another namespace's table metadata."""
    marker = "marker-" + uid()
    document = dict(lake.payroll["metadata"], location=f"s3://{lake.victim}/tbl")
    document["properties"] = dict(document.get("properties", {}), secret=marker)
    metadata_key = "tbl/metadata/00000-stolen.metadata.json"
    lake.s3.put_object(Bucket=lake.victim, Key=metadata_key, Body=json.dumps(document).encode())
    engineer_s3 = s3_client(lake.server, lake.engineer["accessKey"], lake.engineer["secretKey"])
    assert s3_error(lambda: engineer_s3.get_object(Bucket=lake.victim, Key=metadata_key)) == "AccessDenied"

    problems = []
    name = "stolen_" + uid()
    registered = lake.eng("POST", "/namespaces/sandbox/register", {"name": name, "metadata-location": f"s3://{lake.victim}/{metadata_key}"},
                          headers=DELEGATION)
    if marker in registered.text:
        problems.append("register returned the contents of a file the caller may not read")
    problems.append(refusal_problem(registered, "register with metadata in another bucket"))
    if lake.root("GET", f"/namespaces/sandbox/tables/{name}").status_code != 404:
        problems.append("register with metadata in another bucket created the table")

    # Another namespace's table (same bucket): adopting its metadata file would hand out its location.
    name = "adopted_" + uid()
    adopted = lake.eng("POST", "/namespaces/sandbox/register", {"name": name, "metadata-location": lake.payroll["metadata-location"]},
                       headers=DELEGATION)
    problems.append(refusal_problem(adopted, "register of another namespace's metadata"))

    # register-view: a view metadata file in another bucket.
    view = {"format-version": 1, "view-uuid": str(uuid.uuid4()), "location": f"s3://{lake.victim}/view", "current-version-id": 1,
            "versions": [{"version-id": 1, "timestamp-ms": 1700000000000, "schema-id": 0, "summary": {}, "default-namespace": [],
                          "representations": [{"type": "sql", "sql": "SELECT 1 AS id", "dialect": "spark"}]}],
            "version-log": [{"version-id": 1, "timestamp-ms": 1700000000000}], "schemas": [SCHEMA], "properties": {"secret": marker}}
    view_key = "view/metadata/00000-stolen.metadata.json"
    lake.s3.put_object(Bucket=lake.victim, Key=view_key, Body=json.dumps(view).encode())
    registered = lake.eng("POST", "/namespaces/sandbox/register-view", {"name": "v_" + uid(), "metadata-location": f"s3://{lake.victim}/{view_key}"})
    if marker in registered.text:
        problems.append("register-view returned the contents of a file the caller may not read")
    problems.append(refusal_problem(registered, "register-view with metadata in another bucket"))
    assert_none(problems)


def test_vended_credentials_never_reach_another_bucket(lake):
    """Defect 2: a table location with a wildcard bucket (stage-create stores nothing, so no bucket check ran) must not
    yield credentials for other buckets: refused, and never credentials that read another bucket's objects."""
    problems = []
    for location in ("s3://*", "s3://*/x", f"s3://{lake.victim[:-2]}??/x"):
        staged = lake.eng.create_table("sandbox", "staged_" + uid(), headers=DELEGATION, location=location, **{"stage-create": True})
        if staged.status_code == 200 and "s3.access-key-id" in staged.json().get("config", {}):
            s3 = vended_s3(lake.server, staged.json()["config"])
            if s3_error(lambda: s3.get_object(Bucket=lake.victim, Key="x/secret.txt")) is None:
                problems.append(f"credentials vended for location {location} read another bucket's object")
        problems.append(refusal_problem(staged, f"stage-create at {location}"))
    assert_none(problems)


def test_wildcards_in_table_names_do_not_widen_vended_credentials(lake):
    """Defect 2: `*` and `?` in a table's location are escaped or refused in credential policies: a table named `s*` or
    `secre?` gives no access to the files of its (denied) neighbour `secret`."""
    assert lake.root.create_table("sandbox", "secret").status_code in (200, 409)
    lake.s3.put_object(Bucket=lake.wh, Key="sandbox/secret/data/hidden.bin", Body=SECRET)
    assert lake.eng("GET", "/namespaces/sandbox/tables/secret").status_code == 403
    problems = []
    for name in ("s*", "secre?"):
        created = lake.eng.create_table("sandbox", name, headers=DELEGATION)
        if created.status_code != 200:
            problems.append(refusal_problem(created, f"table named {name}"))
            continue
        s3 = vended_s3(lake.server, created.json()["config"])
        if s3_error(lambda: s3.get_object(Bucket=lake.wh, Key="sandbox/secret/data/hidden.bin")) != "AccessDenied":
            problems.append(f"credentials vended for table {name!r} read the denied neighbour table")
        if s3_error(lambda: s3.put_object(Bucket=lake.wh, Key="sandbox/secret/data/evil.bin", Body=b"x")) != "AccessDenied":
            problems.append(f"credentials vended for table {name!r} wrote into the denied neighbour table")
    assert_none(problems)


# --- defect 3: control characters in catalog names ---

def test_control_characters_in_catalog_names_are_refused(lake):
    """Defect 3: namespace, table and view names with control characters (NUL, 0x01, newline, DEL) are 400 BadRequestException."""
    base = "c3_" + uid()
    view_version = {"version-id": 1, "timestamp-ms": 1700000000000, "schema-id": 0, "summary": {}, "default-namespace": [],
                    "representations": [{"type": "sql", "sql": "SELECT 1 AS id", "dialect": "spark"}]}
    problems = []
    for bad in ("\x00x", "\x01", "\nx", "\x7f"):
        source = f"{base}_s{len(problems)}"
        assert lake.root.create_table("open", source).status_code == 200
        response = lake.root("POST", "/namespaces", {"namespace": [base + bad]})
        problems.append(refusal_problem(response, f"namespace {base + bad!r}", allowed=(400,)))
        response = lake.root.create_table("open", base + "_t" + bad)
        problems.append(refusal_problem(response, f"table {base + '_t' + bad!r}", allowed=(400,)))
        response = lake.root("POST", "/namespaces/open/views", {"name": base + "_v" + bad, "schema": SCHEMA, "view-version": view_version})
        problems.append(refusal_problem(response, f"view {base + '_v' + bad!r}", allowed=(400,)))
        response = lake.root("POST", "/tables/rename", {"source": {"namespace": ["open"], "name": source},
                                                        "destination": {"namespace": ["open"], "name": base + "_r" + bad}})
        problems.append(refusal_problem(response, f"rename to {base + '_r' + bad!r}", allowed=(400,)))
    if lake.root("HEAD", f"/namespaces/{base}").status_code != 404:
        problems.append("a namespace name was truncated at the NUL")
    assert_none(problems)


def test_nul_in_catalog_path_does_not_bypass_deny(lake):
    """Defect 3: %00 in a namespace, table or warehouse name does not reach a denied table (the ARN and the lookup are
    the same string): 400 BadRequestException (404 also accepted for the warehouse), never the table."""
    hidden, secret = "t3_" + uid(), "secret_" + uid()
    assert lake.root.create_table("vault", hidden).status_code == 200
    assert lake.root.create_table("open", secret).status_code == 200
    user = make_user(lake.server, "nul", [
        {"Effect": "Allow", "Action": "iceberg:*", "Resource": "arn:floe:iceberg:::*"},
        {"Effect": "Deny", "Action": "iceberg:*", "Resource": [f"arn:floe:iceberg:::{lake.wh}/vault", f"arn:floe:iceberg:::{lake.wh}/vault/*",
                                                               f"arn:floe:iceberg:::{lake.wh}/open/{secret}"]}])
    caller = Catalog(lake.server, lake.wh, (user["accessKey"], user["secretKey"]))
    assert caller("GET", f"/namespaces/vault/tables/{hidden}").status_code == 403
    assert caller("GET", f"/namespaces/open/tables/{secret}").status_code == 403
    base = lake.server.catalog_endpoint + "/v1"
    problems = []
    for url, allowed in ((f"{base}/{lake.wh}/namespaces/vault%00x/tables/{hidden}", (400,)),
                         (f"{base}/{lake.wh}/namespaces/open/tables/{secret}%00x", (400,)),
                         (f"{base}/{lake.wh}%00x/namespaces/vault/tables/{hidden}", (400, 404))):
        response = caller("GET", None, raw_url=url)
        if response.status_code == 200:
            problems.append(f"{url} read a denied table past the Deny")
        elif response.status_code not in allowed:
            problems.append(f"{url}: expected {allowed}, got {response.status_code} {response.text[:200]}")
    assert_none(problems)


# --- defect 5: rename and transactions authorize every table they name ---

@pytest.fixture(scope="module")
def mover(lake):
    """May do anything in the warehouse except in namespace `vault`."""
    key = make_user(lake.server, "mover", [
        {"Effect": "Allow", "Action": "iceberg:*", "Resource": [f"arn:floe:iceberg:::{lake.wh}", f"arn:floe:iceberg:::{lake.wh}/*"]},
        {"Effect": "Deny", "Action": "iceberg:*", "Resource": [f"arn:floe:iceberg:::{lake.wh}/vault", f"arn:floe:iceberg:::{lake.wh}/vault/*"]}])
    return Catalog(lake.server, lake.wh, (key["accessKey"], key["secretKey"]))


def test_rename_out_of_a_denied_namespace_is_forbidden(lake, mover):
    """Defect 5: rename needs DropTable (or RenameTable) on the SOURCE: a user denied vault/* cannot rename vault.x into
    a namespace it may use (403 ForbiddenException, nothing moves)."""
    name = "payroll_" + uid()
    assert lake.root.create_table("vault", name).status_code == 200
    assert mover("GET", f"/namespaces/vault/tables/{name}").status_code == 403
    renamed = mover("POST", "/tables/rename", {"source": {"namespace": ["vault"], "name": name}, "destination": {"namespace": ["open"], "name": name}})
    assert_refused(renamed, "rename out of a denied namespace", allowed=(403,))
    assert lake.root("HEAD", f"/namespaces/vault/tables/{name}").status_code == 204
    assert lake.root("HEAD", f"/namespaces/open/tables/{name}").status_code == 404


def test_rename_into_a_denied_namespace_is_forbidden(lake, mover):
    """Defect 5: rename needs CreateTable on the DESTINATION: moving open.x into denied vault is 403, nothing moves."""
    first, name = "planted_" + uid(), "planted_" + uid()
    assert lake.root.create_table("open", first).status_code == 200
    control = mover("POST", "/tables/rename", {"source": {"namespace": ["open"], "name": first}, "destination": {"namespace": ["open"], "name": name}})
    assert control.status_code == 204, f"the mover may rename within namespace open: {control.text}"
    renamed = mover("POST", "/tables/rename", {"source": {"namespace": ["open"], "name": name}, "destination": {"namespace": ["vault"], "name": name}})
    assert_refused(renamed, "rename into a denied namespace", allowed=(403,))
    assert lake.root("HEAD", f"/namespaces/open/tables/{name}").status_code == 204
    assert lake.root("HEAD", f"/namespaces/vault/tables/{name}").status_code == 404


def test_transaction_commit_authorizes_every_table(lake, mover):
    """Defect 5: /transactions/commit needs UpdateTable on every table named: one denied table makes the whole
    transaction 403 ForbiddenException, and neither table changes."""
    allowed, denied = "ok_" + uid(), "no_" + uid()
    assert lake.root.create_table("open", allowed).status_code == 200
    assert lake.root.create_table("vault", denied).status_code == 200
    update = [{"action": "set-properties", "updates": {"pwned": "1"}}]
    committed = mover("POST", "/transactions/commit", {"table-changes": [table_change("open", allowed, update), table_change("vault", denied, update)]})
    assert_refused(committed, "transaction naming a denied table", allowed=(403,))
    for namespace, name in (("open", allowed), ("vault", denied)):
        properties = lake.root("GET", f"/namespaces/{namespace}/tables/{name}").json()["metadata"].get("properties", {})
        assert "pwned" not in properties, f"{namespace}.{name} was changed"
    control = mover("POST", "/transactions/commit", {"table-changes": [table_change("open", allowed, [
        {"action": "set-properties", "updates": {"checked": "1"}}])]})
    assert control.status_code == 204, f"the mover may commit to open.{allowed} alone: {control.text}"


def test_assert_create_needs_create_table(lake):
    """Defect 5: a commit with `assert-create` creates a table, so it needs CreateTable: a user with UpdateTable (and
    LoadTable) but no CreateTable gets 403 ForbiddenException from commitTable and /transactions/commit, and no table."""
    scope = f"arn:floe:iceberg:::{lake.wh}"
    key = make_user(lake.server, "updater", [{"Effect": "Allow", "Action": ["iceberg:UpdateTable", "iceberg:LoadTable", "iceberg:ListTables"],
                                              "Resource": [scope, f"{scope}/open", f"{scope}/open/*"]}])
    updater = Catalog(lake.server, lake.wh, (key["accessKey"], key["secretKey"]))
    existing = "existing_" + uid()
    assert lake.root.create_table("open", existing).status_code == 200
    control = updater("POST", f"/namespaces/open/tables/{existing}", {"requirements": [], "updates": [
        {"action": "set-properties", "updates": {"checked": "1"}}]})
    assert control.status_code == 200, f"the updater may update existing tables: {control.text}"
    single, multi = "made_" + uid(), "made_" + uid()
    created = updater("POST", f"/namespaces/open/tables/{single}", {"requirements": [{"type": "assert-create"}], "updates": assert_create()})
    assert_refused(created, "commitTable with assert-create without CreateTable", allowed=(403,))
    assert lake.root("HEAD", f"/namespaces/open/tables/{single}").status_code == 404
    created = updater("POST", "/transactions/commit", {"table-changes": [
        table_change("open", multi, assert_create(), requirements=[{"type": "assert-create"}])]})
    assert_refused(created, "transaction with assert-create without CreateTable", allowed=(403,))
    assert lake.root("HEAD", f"/namespaces/open/tables/{multi}").status_code == 404


# --- defect 6: vended credentials keep the caller's limits ---

def vend_user(lake, tag, extra=()):
    return make_user(lake.server, tag, [
        {"Effect": "Allow", "Action": "iceberg:*", "Resource": [f"arn:floe:iceberg:::{lake.wh}/vend", f"arn:floe:iceberg:::{lake.wh}/vend/*"]},
        *extra])


def load_vended(caller):
    loaded = caller("GET", "/namespaces/vend/tables/t6", headers=DELEGATION)
    assert loaded.status_code == 200, loaded.text
    body = loaded.json()
    return body["config"], body["metadata-location"].split("/", 3)[3]


def test_vended_credentials_obey_bucket_policy_deny(lake):
    """Defect 6: a bucket-policy Deny applies to S3 requests made with vended credentials."""
    lake.s3.put_bucket_policy(Bucket=lake.wh, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{lake.wh}/vend/t6/data/private/*"}]}))
    try:
        key = vend_user(lake, "bp")
        config, metadata_key = load_vended(Catalog(lake.server, lake.wh, (key["accessKey"], key["secretKey"])))
        s3 = vended_s3(lake.server, config)
        assert s3.get_object(Bucket=lake.wh, Key=metadata_key)["Body"].read().startswith(b"{")
        assert s3_error(lambda: s3.get_object(Bucket=lake.wh, Key="vend/t6/data/private/secret.bin")) == "AccessDenied", \
            "vended credentials read an object the bucket policy denies"
    finally:
        lake.s3.delete_bucket_policy(Bucket=lake.wh)


def test_vended_credentials_obey_the_callers_own_deny(lake):
    """Defect 6: the caller's explicit identity Deny statements for S3 actions apply to its vended credentials."""
    private = f"arn:aws:s3:::{lake.wh}/vend/t6/data/private/*"
    key = vend_user(lake, "dn", [{"Effect": "Deny", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": private}])
    config, metadata_key = load_vended(Catalog(lake.server, lake.wh, (key["accessKey"], key["secretKey"])))
    s3 = vended_s3(lake.server, config)
    assert s3.get_object(Bucket=lake.wh, Key=metadata_key)["Body"].read().startswith(b"{")
    assert s3_error(lambda: s3.get_object(Bucket=lake.wh, Key="vend/t6/data/private/secret.bin")) == "AccessDenied", \
        "vended credentials read past the caller's own Deny"
    assert s3_error(lambda: s3.put_object(Bucket=lake.wh, Key="vend/t6/data/private/new.bin", Body=b"x")) == "AccessDenied"


def test_vended_credentials_keep_service_account_and_session_narrowing(lake):
    """Defect 6: credentials vended to a service account or an STS session are narrowed by its policy too: both may only
    read the table's metadata, so the data files and any write are denied."""
    key = vend_user(lake, "nar")
    narrow = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iceberg:*", "Resource": [f"arn:floe:iceberg:::{lake.wh}/vend", f"arn:floe:iceberg:::{lake.wh}/vend/*"]},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{lake.wh}/vend/t6/metadata/*"}]}
    account = admin(lake.server, "POST", f"users/{key['user']}/service-accounts", {"policy": narrow}).json()
    session = sts_client(lake.server, key["accessKey"], key["secretKey"]).assume_role(
        RoleArn=ROLE, RoleSessionName="narrow", Policy=json.dumps(narrow))["Credentials"]
    problems = []
    for label, caller in (("service account", Catalog(lake.server, lake.wh, (account["accessKey"], account["secretKey"]))),
                          ("session", Catalog(lake.server, lake.wh, session=session))):
        config, metadata_key = load_vended(caller)
        s3 = vended_s3(lake.server, config)
        assert s3.get_object(Bucket=lake.wh, Key=metadata_key)["Body"].read().startswith(b"{"), label
        if s3_error(lambda: s3.get_object(Bucket=lake.wh, Key="vend/t6/data/private/secret.bin")) != "AccessDenied":
            problems.append(f"{label}: vended credentials read past the {label}'s policy")
        if s3_error(lambda: s3.put_object(Bucket=lake.wh, Key="vend/t6/data/new.bin", Body=b"x")) != "AccessDenied":
            problems.append(f"{label}: vended credentials wrote past the {label}'s policy")
    assert_none(problems)


# --- defect 7: sessions never outlive their scope ---

def test_assume_role_never_outlives_the_calling_session(lake):
    """Defect 7: AssumeRole from a session (or from vended credentials) never yields an expiry later than the caller's own
    (a refusal is accepted too)."""
    key = vend_user(lake, "chain")
    first = sts_client(lake.server, key["accessKey"], key["secretKey"]).assume_role(RoleArn=ROLE, RoleSessionName="first", DurationSeconds=900)["Credentials"]
    config, _ = load_vended(Catalog(lake.server, lake.wh, (key["accessKey"], key["secretKey"])))
    vended_expiry = int(config["s3.session-token-expires-at-ms"]) / 1000
    problems = []
    for label, creds, limit in (("session", first, first["Expiration"].timestamp()),
                                ("vended credentials", {"AccessKeyId": config["s3.access-key-id"], "SecretAccessKey": config["s3.secret-access-key"],
                                                        "SessionToken": config["s3.session-token"]}, vended_expiry)):
        sts = sts_client(lake.server, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        try:
            chained = sts.assume_role(RoleArn=ROLE, RoleSessionName="chained", DurationSeconds=43200)["Credentials"]
        except ClientError:
            continue
        if chained["Expiration"].timestamp() > limit + 1:
            problems.append(f"{label} (expires {limit:.0f}) chained into a session expiring {chained['Expiration'].timestamp():.0f}")
    assert_none(problems)


def test_deleting_the_access_key_ends_its_sessions(lake):
    """Defect 7: deleting the access key that made an STS session, or the one whose catalog token got vended credentials,
    ends that session (any 403)."""
    key = vend_user(lake, "kdel", [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{lake.wh}/vend/*"}])
    admin(lake.server, "POST", f"users/{key['user']}/keys")  # the user keeps another key: only the session's own key goes
    session = sts_client(lake.server, key["accessKey"], key["secretKey"]).assume_role(RoleArn=ROLE, RoleSessionName="keyed")["Credentials"]
    sts_s3 = s3_client(lake.server, session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    config, metadata_key = load_vended(Catalog(lake.server, lake.wh, (key["accessKey"], key["secretKey"])))
    vended = vended_s3(lake.server, config)
    for s3 in (sts_s3, vended):
        assert s3.get_object(Bucket=lake.wh, Key=metadata_key)["Body"].read().startswith(b"{")
    admin(lake.server, "DELETE", f"keys/{key['accessKey']}")
    problems = []
    for label, s3 in (("STS session", sts_s3), ("vended credentials", vended)):
        status = s3_status(lambda: s3.get_object(Bucket=lake.wh, Key=metadata_key))
        if status != 403:
            problems.append(f"the {label} outlived the deleted access key that made it (status {status})")
    assert_none(problems)


def test_disabling_the_service_account_ends_its_sessions(lake):
    """Defect 7: disabling the service account that made an STS session ends that session (any 403)."""
    key = vend_user(lake, "sadis", [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{lake.wh}/vend/*"}])
    account = admin(lake.server, "POST", f"users/{key['user']}/service-accounts").json()
    session = sts_client(lake.server, account["accessKey"], account["secretKey"]).assume_role(RoleArn=ROLE, RoleSessionName="sa")["Credentials"]
    s3 = s3_client(lake.server, session["AccessKeyId"], session["SecretAccessKey"], session["SessionToken"])
    metadata_key = lake.root("GET", "/namespaces/vend/tables/t6").json()["metadata-location"].split("/", 3)[3]
    assert s3.get_object(Bucket=lake.wh, Key=metadata_key)["Body"].read().startswith(b"{")
    admin(lake.server, "PUT", f"keys/{account['accessKey']}", {"enabled": False})
    status = s3_status(lambda: s3.get_object(Bucket=lake.wh, Key=metadata_key))
    assert status == 403, f"the session outlived its disabled service account (status {status})"


# --- defect 12 (catalog): unauthenticated requests are answered before their body is read ---

def first_line_without_body(server, head: str, timeout: float = 5.0) -> tuple[bytes, float]:
    """Sends only the request head (and 1 KiB of a 16 MiB body) and returns the status line the server answers, if any,
    and how long it took."""
    started = time.monotonic()
    data = b""
    with socket.create_connection(("127.0.0.1", server.catalog_port), timeout=timeout) as sock:
        sock.sendall(head.encode() + b"{" + b" " * 1023)
        deadline = started + timeout
        while b"\r\n" not in data and time.monotonic() < deadline:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = sock.recv(4096)
            except (socket.timeout, ConnectionError):
                break
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0], time.monotonic() - started


def test_unauthenticated_catalog_request_is_refused_before_its_body(lake):
    """Defect 12 (catalog): a request without valid credentials that announces a large body (16 MiB, never sent) gets
    its 401 promptly, without the server waiting for (and buffering) the body: no Authorization, a bad bearer token,
    a SigV4 signature with an unknown access key, a malformed SigV4 header."""
    host = f"127.0.0.1:{lake.server.catalog_port}"
    path = f"/v1/{lake.wh}/namespaces"
    amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    unknown = (f"AWS4-HMAC-SHA256 Credential=AKIAUNKNOWNUNKNOWN00/{amz_date[:8]}/us-east-1/s3tables/aws4_request, "
               f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}")
    problems = []
    for label, auth, answers in (("no Authorization", None, (b"401",)), ("bad bearer token", "Bearer not-a-token", (b"401",)),
                                 ("SigV4 with an unknown access key", unknown, (b"401",)),
                                 ("malformed SigV4", "AWS4-HMAC-SHA256 garbage", (b"400", b"401"))):
        head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {16 << 20}\r\nx-amz-date: {amz_date}\r\n"
        if auth:
            head += f"Authorization: {auth}\r\n"
        status, elapsed = first_line_without_body(lake.server, head + "\r\n")
        if status[9:12] not in answers:
            problems.append(f"{label}: no {b'/'.join(answers).decode()} before the body was sent (got {status!r} after {elapsed:.1f} s)")
        elif elapsed > 3:
            problems.append(f"{label}: the answer took {elapsed:.1f} s")
    assert lake.root("GET", "/namespaces").status_code == 200
    assert_none(problems)
