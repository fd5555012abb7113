"""aws-cli (s3 and s3api) and s3cmd, unchanged, against Floe."""
import json
import os
import uuid


def test_aws_cli_s3_commands(server, tmp_path):
    bucket = "cli-" + uuid.uuid4().hex[:12]
    server.aws("s3", "mb", f"s3://{bucket}")
    source = tmp_path / "src"
    (source / "nested" / "deeper").mkdir(parents=True)
    files = {"a.txt": b"alpha\n", "nested/b.csv": b"x,y\n1,2\n", "nested/deeper/c d.json": b'{"k": 1}', "big.bin": os.urandom(3 * 1024 * 1024)}
    for name, data in files.items():
        (source / name).write_bytes(data)
    server.aws("s3", "cp", str(source / "a.txt"), f"s3://{bucket}/single/a.txt")
    server.aws("s3", "sync", str(source), f"s3://{bucket}/synced")
    listing = server.aws("s3", "ls", "--recursive", f"s3://{bucket}").stdout.decode()
    for name in files:
        assert f"synced/{name}" in listing
    assert "single/a.txt" in listing
    target = tmp_path / "back"
    server.aws("s3", "sync", f"s3://{bucket}/synced", str(target))
    for name, data in files.items():
        assert (target / name).read_bytes() == data
    assert server.aws("s3", "cp", f"s3://{bucket}/single/a.txt", "-").stdout == b"alpha\n"
    server.aws("s3", "rm", "--recursive", f"s3://{bucket}")
    server.aws("s3", "rb", f"s3://{bucket}")
    assert bucket not in server.aws("s3", "ls").stdout.decode()


def test_aws_cli_s3api(server, tmp_path):
    bucket = "api-" + uuid.uuid4().hex[:12]
    server.aws("s3api", "create-bucket", "--bucket", bucket)
    body = tmp_path / "body"
    body.write_bytes(b"s3api body")
    put = json.loads(server.aws("s3api", "put-object", "--bucket", bucket, "--key", "k/v", "--body", str(body),
                                "--metadata", "team=data", "--content-type", "text/plain").stdout)
    assert put["ETag"].strip('"')
    head = json.loads(server.aws("s3api", "head-object", "--bucket", bucket, "--key", "k/v").stdout)
    assert head["Metadata"] == {"team": "data"} and head["ContentType"] == "text/plain"
    out = tmp_path / "out"
    server.aws("s3api", "get-object", "--bucket", bucket, "--key", "k/v", "--range", "bytes=0-3", str(out))
    assert out.read_bytes() == b"s3ap"
    listed = json.loads(server.aws("s3api", "list-objects-v2", "--bucket", bucket, "--delimiter", "/").stdout)
    assert listed["CommonPrefixes"] == [{"Prefix": "k/"}]
    failed = server.aws("s3api", "get-object", "--bucket", bucket, "--key", "missing", str(out), check=False)
    assert failed.returncode != 0 and b"NoSuchKey" in failed.stderr
    server.aws("s3api", "delete-object", "--bucket", bucket, "--key", "k/v")
    server.aws("s3api", "delete-bucket", "--bucket", bucket)


def test_s3cmd_signature_v4_path_style(server, tmp_path):
    bucket = "s3cmd-" + uuid.uuid4().hex[:12]
    server.s3cmd("mb", f"s3://{bucket}")
    local = tmp_path / "file with space.txt"
    local.write_bytes(b"s3cmd payload\n" * 100)
    server.s3cmd("put", str(local), f"s3://{bucket}/dir/file with space.txt")
    listing = server.s3cmd("ls", "-r", f"s3://{bucket}").stdout.decode()
    assert f"s3://{bucket}/dir/file with space.txt" in listing
    back = tmp_path / "back.txt"
    server.s3cmd("get", f"s3://{bucket}/dir/file with space.txt", str(back))
    assert back.read_bytes() == local.read_bytes()
    server.s3cmd("del", f"s3://{bucket}/dir/file with space.txt")
    server.s3cmd("rb", f"s3://{bucket}")
