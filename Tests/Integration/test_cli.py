"""The `floe` CLI against a real server: every command, checked through boto3, pyiceberg and the
file system; JSON output, exit codes and error hints; the progress bar only on a terminal."""
import hashlib
import json
import os
import pty
import re
import subprocess
import time
import uuid

import pyarrow as pa
import pytest
import requests

from floe_harness import ROOT_PASSWORD, ROOT_USER, new_server

BINARY = os.environ.get("FLOE_BINARY") or os.path.join(os.path.dirname(__file__), "../../.build/debug/floe")


@pytest.fixture(scope="module")
def server():
    instance = new_server()
    yield instance
    instance.cleanup()


@pytest.fixture
def cli(server, tmp_path):
    """Runs `floe` with alias `t` (from the environment) and a private config directory."""
    env = dict(os.environ, FLOE_CONFIG_DIR=str(tmp_path / "config"), COLUMNS="80",
               FLOE_ALIAS_T=f"{server.endpoint},{ROOT_USER},{ROOT_PASSWORD},{server.catalog_endpoint}")

    def run(*args, check=True, input=None):
        result = subprocess.run([BINARY, *args], env=env, capture_output=True, input=input, timeout=300, cwd=tmp_path)
        if check and result.returncode != 0:
            raise AssertionError(f"floe {' '.join(args)} exited {result.returncode}:\n{result.stderr.decode()}{result.stdout.decode()}")
        return result
    run.env = env
    return run


def lines(result):
    return result.stdout.decode().splitlines()


def json_lines(result):
    return [json.loads(line) for line in lines(result)]


def new_bucket(cli):
    name = "cli-" + uuid.uuid4().hex[:10]
    cli("mb", f"t/{name}")
    return name


def test_alias_set_ls_rm(server, cli, tmp_path):
    cli("alias", "set", "home", server.endpoint, ROOT_USER, ROOT_PASSWORD, "--catalog", server.catalog_endpoint)
    config = tmp_path / "config" / "config.json"
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    listed = json_lines(cli("alias", "ls", "--json"))
    home = next(a for a in listed if a["alias"] == "home")
    assert home["url"] == server.endpoint and home["source"] == "config" and "secretKey" not in home
    assert ROOT_PASSWORD not in cli("alias", "ls").stdout.decode()
    assert next(a for a in listed if a["alias"] == "t")["source"] == "env"
    cli("mb", "home/" + "via-alias-" + uuid.uuid4().hex[:6])
    # A wrong secret is caught when the alias is set.
    bad = cli("alias", "set", "bad", server.endpoint, ROOT_USER, "wrong-secret", check=False)
    assert bad.returncode == 1 and b"SignatureDoesNotMatch" in bad.stderr and b"floe alias set" in bad.stderr
    cli("alias", "rm", "home")
    assert "home" not in [a["alias"] for a in json_lines(cli("alias", "ls", "--json"))]


def test_copy_up_down_and_across(server, cli, tmp_path):
    bucket = new_bucket(cli)
    s3 = server.boto3()
    source = tmp_path / "landing"
    (source / "2026" / "11").mkdir(parents=True)
    (source / "orders.csv").write_text("id,amount\n1,9.5\n")
    (source / "2026" / "11" / "events.jsonl").write_text('{"a": 1}\n' * 1000)
    (source / "notes.txt").write_bytes(os.urandom(5000))

    # One file into a prefix, with attributes; the content type is guessed from the name.
    cli("cp", str(source / "orders.csv"), f"t/{bucket}/raw/", "--attr", "Cache-Control=max-age=60;owner=etl")
    head = s3.head_object(Bucket=bucket, Key="raw/orders.csv")
    assert head["ContentType"] == "text/csv" and head["CacheControl"] == "max-age=60" and head["Metadata"] == {"owner": "etl"}

    # A directory by name (landing/…) and by contents (landing/ → …).
    cli("cp", "-r", str(source), f"t/{bucket}/byname/")
    cli("cp", "-r", str(source) + "/", f"t/{bucket}/contents/")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert "byname/landing/2026/11/events.jsonl" in keys and "contents/2026/11/events.jsonl" in keys and "contents/notes.txt" in keys
    assert s3.head_object(Bucket=bucket, Key="contents/2026/11/events.jsonl")["ContentType"] == "application/x-ndjson"

    # Down again, recursively, byte for byte.
    cli("cp", "-r", f"t/{bucket}/contents/", str(tmp_path / "back"))
    for relative in ["orders.csv", "notes.txt", "2026/11/events.jsonl"]:
        assert (tmp_path / "back" / relative).read_bytes() == (source / relative).read_bytes()

    # Remote to remote keeps type and metadata; a second bucket on the same server.
    other = new_bucket(cli)
    cli("cp", f"t/{bucket}/raw/orders.csv", f"t/{other}/copied.csv")
    copied = s3.head_object(Bucket=other, Key="copied.csv")
    assert copied["ContentType"] == "text/csv" and copied["Metadata"] == {"owner": "etl"}

    # mv removes each source once copied.
    cli("mv", f"t/{other}/copied.csv", f"t/{other}/moved/")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=other)["Contents"]] == ["moved/copied.csv"]
    local = tmp_path / "to-move.txt"
    local.write_text("bye")
    cli("mv", str(local), f"t/{other}/")
    assert not local.exists() and s3.get_object(Bucket=other, Key="to-move.txt")["Body"].read() == b"bye"


def test_large_files_go_multipart_and_come_back_whole(server, cli, tmp_path):
    bucket = new_bucket(cli)
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        for _ in range(70):
            f.write(os.urandom(1 << 20))
    cli("cp", str(big), f"t/{bucket}/big.bin")
    etag = server.boto3().head_object(Bucket=bucket, Key="big.bin")["ETag"]
    assert etag.endswith('-5"')  # 70 MiB in 16 MiB parts
    digest = hashlib.sha256(big.read_bytes()).hexdigest()
    assert hashlib.sha256(server.boto3().get_object(Bucket=bucket, Key="big.bin")["Body"].read()).hexdigest() == digest
    cli("cp", f"t/{bucket}/big.bin", str(tmp_path / "down.bin"))
    assert hashlib.sha256((tmp_path / "down.bin").read_bytes()).hexdigest() == digest
    assert not [p for p in os.listdir(tmp_path) if "floe-partial" in p]
    # cat streams to stdout.
    assert hashlib.sha256(cli("cat", f"t/{bucket}/big.bin").stdout).hexdigest() == digest


def test_listing_stat_find_du_tree_head(server, cli):
    bucket = new_bucket(cli)
    s3 = server.boto3()
    for key, size in [("raw/a.csv", 2000), ("raw/b.csv", 10), ("raw/deep/c.json", 300), ("top.txt", 5)]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x" * size)
    s3.put_object(Bucket=bucket, Key="lines.txt", Body=b"".join(b"line %d\n" % i for i in range(100)))

    assert any(b["name"] == bucket for b in json_lines(cli("ls", "t", "--json")))
    level = json_lines(cli("ls", f"t/{bucket}", "--json"))
    assert {(e["type"], e["key"]) for e in level} == {("prefix", "raw/"), ("object", "top.txt"), ("object", "lines.txt")}
    human = cli("ls", f"t/{bucket}/raw/").stdout.decode()
    assert "PRE" in human and "deep/" in human and "a.csv" in human and "2.0 KiB" in human
    recursive = [e["key"] for e in json_lines(cli("ls", "-r", f"t/{bucket}/raw", "--json"))]
    assert recursive == ["raw/a.csv", "raw/b.csv", "raw/deep/c.json"]

    stat = json_lines(cli("stat", f"t/{bucket}/raw/a.csv", "--json"))[0]
    assert stat["size"] == 2000 and stat["etag"].strip('"') == hashlib.md5(b"x" * 2000).hexdigest()
    found = [e["key"] for e in json_lines(cli("find", f"t/{bucket}", "--name", "*.csv", "--larger", "1KiB", "--json"))]
    assert found == ["raw/a.csv"]
    assert json_lines(cli("find", f"t/{bucket}", "--older-than", "1h", "--json")) == []
    assert len(json_lines(cli("find", f"t/{bucket}", "--newer-than", "1h", "--json"))) == 5
    du = json_lines(cli("du", f"t/{bucket}/raw/", "--json"))[0]
    assert du == {"path": f"t/{bucket}/raw/", "bytes": 2310, "objects": 3}
    tree = cli("tree", f"t/{bucket}").stdout.decode()
    assert "raw/" in tree and "deep/" in tree and "└─" in tree
    assert cli("head", "-n", "3", f"t/{bucket}/lines.txt").stdout == b"line 0\nline 1\nline 2\n"


def test_mirror_and_remove(server, cli, tmp_path):
    bucket = new_bucket(cli)
    s3 = server.boto3()
    source = tmp_path / "site"
    (source / "css").mkdir(parents=True)
    for name, body in [("index.html", "<h1>hi</h1>"), ("css/site.css", "body{}"), ("old.html", "gone soon")]:
        (source / name).write_text(body)
    first = cli("mirror", str(source), f"t/{bucket}/www", "--json")
    assert sorted(r["target"] for r in json_lines(first)) == [f"t/{bucket}/www/css/site.css", f"t/{bucket}/www/index.html", f"t/{bucket}/www/old.html"]
    assert "Copied 0, removed 0, 3 already up to date" in cli("mirror", str(source), f"t/{bucket}/www").stdout.decode()

    (source / "index.html").write_text("<h1>hello again</h1>")
    (source / "old.html").unlink()
    dry = cli("mirror", "--remove", "--dry-run", str(source), f"t/{bucket}/www").stdout.decode()
    assert "Would copy" in dry and "Would remove" in dry and "old.html" in dry
    assert s3.get_object(Bucket=bucket, Key="www/index.html")["Body"].read() == b"<h1>hi</h1>"
    cli("mirror", "--remove", str(source), f"t/{bucket}/www")
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == ["www/css/site.css", "www/index.html"]
    assert s3.get_object(Bucket=bucket, Key="www/index.html")["Body"].read() == b"<h1>hello again</h1>"

    # Remote to local mirror.
    cli("mirror", f"t/{bucket}/www", str(tmp_path / "restore"))
    assert (tmp_path / "restore" / "css" / "site.css").read_text() == "body{}"

    # rm: one key, a prefix recursively, dry run first.
    assert "Would remove" in cli("rm", "-r", "--dry-run", f"t/{bucket}/www/").stdout.decode()
    assert len(s3.list_objects_v2(Bucket=bucket)["Contents"]) == 2
    cli("rm", "-r", "--force", f"t/{bucket}/www/")
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    cli("rb", f"t/{bucket}")
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_versions_undo_and_rb_force(server, cli, tmp_path):
    bucket = new_bucket(cli)
    s3 = server.boto3()
    cli("version", "enable", f"t/{bucket}")
    assert json_lines(cli("version", "info", f"t/{bucket}", "--json"))[0]["versioning"] == "Enabled"
    for body in ["v1", "v2"]:
        (tmp_path / "f.txt").write_text(body)
        cli("cp", str(tmp_path / "f.txt"), f"t/{bucket}/f.txt")
    assert cli("cat", f"t/{bucket}/f.txt").stdout == b"v2"
    cli("undo", f"t/{bucket}/f.txt")  # an overwrite: the previous version comes back on top
    assert cli("cat", f"t/{bucket}/f.txt").stdout == b"v1"
    cli("rm", f"t/{bucket}/f.txt")  # a delete marker
    missing = cli("cat", f"t/{bucket}/f.txt", check=False)
    assert missing.returncode == 1 and b"NoSuchKey" in missing.stderr
    cli("undo", f"t/{bucket}/f.txt")  # the marker goes
    assert cli("cat", f"t/{bucket}/f.txt").stdout == b"v1"
    versions = json_lines(cli("ls", "--versions", f"t/{bucket}/f.txt", "--json"))
    assert len(versions) == 3 and sum(v["isLatest"] for v in versions) == 1
    oldest = versions[-1]["versionId"]
    assert cli("cat", "--version-id", oldest, f"t/{bucket}/f.txt").stdout == b"v1"
    cli("version", "suspend", f"t/{bucket}")
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"
    refused = cli("rb", f"t/{bucket}", check=False)
    assert refused.returncode == 1 and b"BucketNotEmpty" in refused.stderr and b"rb --force" in refused.stderr
    cli("rb", "--force", f"t/{bucket}")
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_tags_anonymous_and_presign(server, cli, tmp_path):
    bucket = new_bucket(cli)
    s3 = server.boto3()
    s3.put_object(Bucket=bucket, Key="public/logo.svg", Body=b"<svg/>")
    s3.put_object(Bucket=bucket, Key="private/secret.txt", Body=b"secret")

    cli("tag", "set", f"t/{bucket}/public/logo.svg", "team=web&tier=gold")
    assert {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key="public/logo.svg")["TagSet"]} == {"team": "web", "tier": "gold"}
    assert json_lines(cli("tag", "get", f"t/{bucket}/public/logo.svg", "--json"))[0]["tags"] == {"team": "web", "tier": "gold"}
    cli("tag", "rm", f"t/{bucket}/public/logo.svg")
    assert s3.get_object_tagging(Bucket=bucket, Key="public/logo.svg")["TagSet"] == []

    url = f"{server.endpoint}/{bucket}"
    assert requests.get(f"{url}/public/logo.svg").status_code == 403
    cli("anonymous", "set", "download", f"t/{bucket}/public/")
    assert requests.get(f"{url}/public/logo.svg").content == b"<svg/>"
    assert requests.get(f"{url}/private/secret.txt").status_code == 403
    assert requests.put(f"{url}/public/new.txt", data=b"x").status_code == 403
    assert json_lines(cli("anonymous", "get", f"t/{bucket}/public/", "--json"))[0]["anonymous"] == "download"
    cli("anonymous", "set", "none", f"t/{bucket}/public/")
    assert requests.get(f"{url}/public/logo.svg").status_code == 403

    get_url = cli("presign", "get", f"t/{bucket}/private/secret.txt", "--expires", "10m").stdout.decode().strip()
    assert "X-Amz-Signature=" in get_url and requests.get(get_url).content == b"secret"
    put_url = json_lines(cli("presign", "put", f"t/{bucket}/uploads/u.bin", "--json"))[0]["url"]
    assert requests.put(put_url, data=b"uploaded").status_code == 200
    assert s3.get_object(Bucket=bucket, Key="uploads/u.bin")["Body"].read() == b"uploaded"
    too_long = cli("presign", "get", f"t/{bucket}/private/secret.txt", "--expires", "8d", check=False)
    assert too_long.returncode == 1 and b"--expires" in too_long.stderr


def test_admin_commands(server, cli, tmp_path):
    name = "cli-user-" + uuid.uuid4().hex[:6]
    added = json_lines(cli("admin", "user", "add", "t", name, "--policy", "readonly", "--json"))[0]
    assert added["user"] == name and added["accessKey"] and added["secretKey"]
    user_env = dict(cli.env, FLOE_ALIAS_U=f"{server.endpoint},{added['accessKey']},{added['secretKey']}")
    def as_user(*args):
        return subprocess.run([BINARY, *args], env=user_env, capture_output=True, timeout=60)
    assert as_user("ls", "u").returncode == 0
    denied = as_user("mb", "u/not-allowed-" + uuid.uuid4().hex[:6])
    assert denied.returncode == 1 and b"AccessDenied" in denied.stderr and b"policy" in denied.stderr

    assert any(u["name"] == name for u in json_lines(cli("admin", "user", "ls", "t", "--json")))
    policy = tmp_path / "maker.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:CreateBucket", "Resource": "arn:aws:s3:::*"}]}))
    cli("admin", "policy", "add", "t", "bucket-maker", str(policy))
    assert "bucket-maker" in [p["policy"] for p in json_lines(cli("admin", "policy", "ls", "t", "--json"))]
    assert json_lines(cli("admin", "policy", "info", "t", "bucket-maker", "--json"))[0]["document"]["Statement"][0]["Action"] == "s3:CreateBucket"
    group = "makers-" + uuid.uuid4().hex[:6]
    cli("admin", "group", "add", "t", group, "--policy", "bucket-maker")
    cli("admin", "group", "add-member", "t", group, name)
    made = "allowed-" + uuid.uuid4().hex[:6]
    assert as_user("mb", "u/" + made).returncode == 0
    assert json_lines(cli("admin", "user", "info", "t", name, "--json"))[0]["groups"] == [group]
    in_use = cli("admin", "policy", "rm", "t", "bucket-maker", check=False)
    assert in_use.returncode == 1 and b"PolicyInUse" in in_use.stderr

    account = json_lines(cli("admin", "svcacct", "add", "t", name, "--json"))[0]
    assert account["accessKey"] in [a["accessKey"] for a in json_lines(cli("admin", "svcacct", "ls", "t", "--json"))]
    cli("admin", "svcacct", "rm", "t", account["accessKey"])
    cli("admin", "user", "disable", "t", name)
    off = as_user("ls", "u")
    assert off.returncode == 1 and b"InvalidAccessKeyId" in off.stderr
    cli("admin", "user", "enable", "t", name)
    assert as_user("ls", "u").returncode == 0
    info = json_lines(cli("admin", "info", "t", "--json"))[0]
    assert info["users"] >= 1 and info["buckets"] >= 1
    cli("admin", "group", "rm", "t", group)
    # A user that owns buckets is not deleted (a later user of the same name would inherit them).
    refused = cli("admin", "user", "rm", "t", name, check=False)
    assert refused.returncode == 1 and b"DeleteConflict" in refused.stderr
    cli("rb", "t/" + made)
    cli("admin", "user", "rm", "t", name)
    cli("admin", "policy", "rm", "t", "bucket-maker")


def test_catalog_commands(server, cli):
    from pyiceberg.catalog import load_catalog
    namespace = "cli_" + uuid.uuid4().hex[:6]
    cli("catalog", "ns", "create", "t", namespace, "--property", "owner=cli")
    assert [namespace] in [n["namespace"] for n in json_lines(cli("catalog", "ns", "ls", "t", "--json"))]
    props = json_lines(cli("catalog", "ns", "props", "t", namespace, "team=data", "--remove", "owner", "--json"))[0]["properties"]
    assert props.get("team") == "data" and "owner" not in props

    catalog = load_catalog("cli", **{"type": "rest", "uri": server.catalog_endpoint, "credential": f"{ROOT_USER}:{ROOT_PASSWORD}", "warehouse": "lakehouse"})
    table = catalog.create_table(f"{namespace}.orders", schema=pa.schema([("id", pa.int64()), ("amount", pa.float64())]))
    table.append(pa.table({"id": [1, 2], "amount": [9.5, 3.0]}))
    table.append(pa.table({"id": [3], "amount": [1.25]}))

    assert [t["name"] for t in json_lines(cli("catalog", "table", "ls", "t", namespace, "--json"))] == ["orders"]
    shown = json_lines(cli("catalog", "table", "show", "t", f"{namespace}.orders", "--json"))[0]
    assert shown["metadataLocation"] == catalog.load_table(f"{namespace}.orders").metadata_location
    assert [f["name"] for f in shown["schema"]["fields"]] == ["id", "amount"]
    human = cli("catalog", "table", "show", "t", f"{namespace}.orders").stdout.decode()
    assert "Schema (id 0):" in human and "amount" in human and "unpartitioned" in human
    history = json_lines(cli("catalog", "table", "history", "t", f"{namespace}.orders", "--json"))
    assert [h["operation"] for h in history] == ["append", "append"] and history[-1]["current"] and not history[0]["current"]
    cli("catalog", "table", "drop", "t", f"{namespace}.orders", "--purge")
    assert json_lines(cli("catalog", "table", "ls", "t", namespace, "--json")) == []
    missing = cli("catalog", "table", "show", "t", f"{namespace}.orders", check=False)
    assert missing.returncode == 1 and b"NoSuchTableException" in missing.stderr
    cli("catalog", "ns", "drop", "t", namespace)


def test_errors_exit_codes_and_json(server, cli, tmp_path):
    unknown = cli("ls", "nosuchalias/bucket", check=False)
    assert unknown.returncode == 1 and b"known alias" in unknown.stderr and b"t" in unknown.stderr
    missing = cli("ls", "t/no-such-bucket-" + uuid.uuid4().hex[:6], check=False)
    assert missing.returncode == 1 and b"NoSuchBucket" in missing.stderr and b"floe mb" in missing.stderr
    usage = cli("cp", "only-one-path", check=False)
    assert usage.returncode == 64
    local_missing = cli("cp", str(tmp_path / "nope.txt"), "t/x/", check=False)
    assert local_missing.returncode == 1 and b"no such file" in local_missing.stderr
    directory = tmp_path / "dir"
    directory.mkdir()
    needs_r = cli("cp", str(directory), "t/x/", check=False)
    assert needs_r.returncode == 1 and b"--recursive" in needs_r.stderr
    down = dict(cli.env, FLOE_ALIAS_DOWN="http://127.0.0.1:9,a,b")
    unreachable = subprocess.run([BINARY, "ls", "down"], env=down, capture_output=True, timeout=60)
    assert unreachable.returncode == 1 and b"server running" in unreachable.stderr
    # Every --json line is an object.
    bucket = new_bucket(cli)
    (tmp_path / "a.txt").write_text("a")
    for result in [cli("cp", str(tmp_path / "a.txt"), f"t/{bucket}/", "--json"), cli("ls", "-r", f"t/{bucket}", "--json"), cli("mb", f"t/{bucket}-2", "--json")]:
        assert all(isinstance(record, dict) for record in json_lines(result))


def test_progress_bar_only_on_a_terminal(server, cli, tmp_path):
    bucket = new_bucket(cli)
    data = tmp_path / "p.bin"
    data.write_bytes(os.urandom(3 << 20))
    piped = cli("cp", str(data), f"t/{bucket}/piped.bin")
    assert b"\r" not in piped.stderr and b"ETA" not in piped.stderr
    # With a terminal on stderr the bar shows rate and ETA; --quiet turns it off.
    for extra, expect_bar in [([], True), (["--quiet"], False)]:
        leader, follower = pty.openpty()
        process = subprocess.Popen([BINARY, "cp", *extra, str(data), f"t/{bucket}/tty.bin"], env=cli.env, stdout=subprocess.PIPE, stderr=follower)
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=60) == 0
        os.close(leader)
        assert (b"ETA" in output and b"%" in output) == expect_bar, output


def test_copy_between_two_servers_streams_through(server, cli, tmp_path):
    """Remote to remote across endpoints: the GET body goes straight into the other server's PUT."""
    other = new_server()
    try:
        env = dict(cli.env, FLOE_ALIAS_O=f"{other.endpoint},{ROOT_USER},{ROOT_PASSWORD}")
        def floe(*args):
            result = subprocess.run([BINARY, *args], env=env, capture_output=True, timeout=300)
            assert result.returncode == 0, result.stderr.decode()
            return result
        bucket = new_bucket(cli)
        body = os.urandom(3 << 20)
        server.boto3().put_object(Bucket=bucket, Key="data/part.bin", Body=body, ContentType="application/x-test", Metadata={"origin": "first"})
        server.boto3().put_object(Bucket=bucket, Key="data/b.txt", Body=b"b")
        floe("mb", "o/copies")
        floe("cp", f"t/{bucket}/data/part.bin", "o/copies/")
        head = other.boto3().head_object(Bucket="copies", Key="part.bin")
        assert head["ContentType"] == "application/x-test" and head["Metadata"] == {"origin": "first"}
        assert other.boto3().get_object(Bucket="copies", Key="part.bin")["Body"].read() == body
        floe("cp", "-r", f"t/{bucket}/data", "o/copies/tree/")
        assert sorted(o["Key"] for o in other.boto3().list_objects_v2(Bucket="copies", Prefix="tree/")["Contents"]) == ["tree/data/b.txt", "tree/data/part.bin"]
    finally:
        other.cleanup()


def test_rm_versions_and_age(server, cli, tmp_path):
    bucket = new_bucket(cli)
    s3 = server.boto3()
    cli("version", "enable", f"t/{bucket}")
    for body in [b"one", b"two", b"three"]:
        s3.put_object(Bucket=bucket, Key="k.txt", Body=body)
    s3.put_object(Bucket=bucket, Key="keep.txt", Body=b"keep")
    versions = [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket, Prefix="k.txt")["Versions"]]
    # One version, permanently.
    cli("rm", "--version-id", versions[1], f"t/{bucket}/k.txt")
    assert [v["VersionId"] for v in s3.list_object_versions(Bucket=bucket, Prefix="k.txt")["Versions"]] == [versions[0], versions[2]]
    # Nothing is old enough: --older-than leaves everything.
    assert json_lines(cli("rm", "-r", "--older-than", "1h", f"t/{bucket}/", "--json")) == []
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 2
    # Every version and marker of one key, and only that key.
    cli("rm", f"t/{bucket}/k.txt")
    removed = json_lines(cli("rm", "--versions", f"t/{bucket}/k.txt", "--json"))
    assert len(removed) == 3 and all(r["key"] == "k.txt" for r in removed)
    listed = s3.list_object_versions(Bucket=bucket)
    assert [v["Key"] for v in listed.get("Versions", [])] == ["keep.txt"] and not listed.get("DeleteMarkers")
