"""Object Lock (WORM) with boto3, raw HTTP, the CLI and pyiceberg: the bucket configuration,
retention and legal hold per version, governance bypass only with its permission, and a locked
version surviving every path that removes objects."""
import base64
import datetime
import hashlib
import json
import os
import subprocess
import time
import uuid

import pyarrow as pa
import pytest

from floe_harness import ROOT_PASSWORD, ROOT_USER
from security_helpers import client_for, floe_cli, s3_outcome as code, make_user

BINARY = os.environ.get("FLOE_BINARY") or os.path.join(os.path.dirname(__file__), "../../.build/debug/floe")
UTC = datetime.timezone.utc




def in_(seconds):
    return datetime.datetime.now(UTC).replace(microsecond=0) + datetime.timedelta(seconds=seconds)


@pytest.fixture
def locked(s3):
    name = "lock-" + uuid.uuid4().hex[:10]
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    return name


def versions_of(s3, bucket, key):
    listed = s3.list_object_versions(Bucket=bucket, Prefix=key)
    return [v["VersionId"] for v in listed.get("Versions", []) if v["Key"] == key]


def test_configuration_follows_aws(s3, bucket, locked):
    assert s3.get_bucket_versioning(Bucket=locked)["Status"] == "Enabled"
    assert s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}
    rule = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 1}}}
    s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration=rule)
    assert s3.get_object_lock_configuration(Bucket=locked)["ObjectLockConfiguration"] == rule
    assert code(lambda: s3.put_bucket_versioning(Bucket=locked, VersioningConfiguration={"Status": "Suspended"})) == (409, "InvalidBucketState")
    bad = [({"Mode": "GOVERNANCE", "Days": 0}, "InvalidRetentionPeriod"), ({"Mode": "GOVERNANCE", "Days": 1, "Years": 1}, "MalformedXML"),
           ({"Mode": "governance", "Days": 1}, "MalformedXML")]
    for retention, expected in bad:
        conf = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": retention}}
        assert code(lambda: s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration=conf)) == (400, expected)
    # A bucket without lock: 404 to read, 409 to enable until versioning is on, then it may.
    assert code(lambda: s3.get_object_lock_configuration(Bucket=bucket)) == (404, "ObjectLockConfigurationNotFoundError")
    plain = {"ObjectLockEnabled": "Enabled"}
    assert code(lambda: s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=plain)) == (409, "InvalidBucketState")
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert code(lambda: s3.put_object_legal_hold(Bucket=bucket, Key="k", LegalHold={"Status": "ON"})) == (400, "InvalidRequest")
    assert code(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")) == (400, "InvalidRequest")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=plain)
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == plain


def test_lock_headers_on_writes_reads_multipart_and_copies(s3, locked):
    until = in_(3600)
    put = s3.put_object(Bucket=locked, Key="a", Body=b"abc", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until,
                        ObjectLockLegalHoldStatus="ON")
    head = s3.head_object(Bucket=locked, Key="a")
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"], head["ObjectLockLegalHoldStatus"]) == ("GOVERNANCE", until, "ON")
    assert s3.get_object(Bucket=locked, Key="a")["ObjectLockMode"] == "GOVERNANCE"
    assert s3.get_object_retention(Bucket=locked, Key="a")["Retention"] == {"Mode": "GOVERNANCE", "RetainUntilDate": until}
    assert s3.get_object_legal_hold(Bucket=locked, Key="a", VersionId=put["VersionId"])["LegalHold"] == {"Status": "ON"}
    # A copy gets its own lock (here none), never the source's.
    s3.copy_object(Bucket=locked, Key="copy", CopySource={"Bucket": locked, "Key": "a"})
    assert "ObjectLockMode" not in s3.head_object(Bucket=locked, Key="copy")
    assert code(lambda: s3.get_object_retention(Bucket=locked, Key="copy")) == (404, "NoSuchObjectLockConfiguration")
    # Multipart: the lock asked at creation holds for the completed object.
    upload = s3.create_multipart_upload(Bucket=locked, Key="mp", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=in_(3))
    part = s3.upload_part(Bucket=locked, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"p")
    done = s3.complete_multipart_upload(Bucket=locked, Key="mp", UploadId=upload["UploadId"],
                                        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]})
    assert s3.head_object(Bucket=locked, Key="mp")["ObjectLockMode"] == "COMPLIANCE"
    assert code(lambda: s3.delete_object(Bucket=locked, Key="mp", VersionId=done["VersionId"], BypassGovernanceRetention=True)) == (403, "AccessDenied")
    time.sleep(3.5)
    s3.delete_object(Bucket=locked, Key="mp", VersionId=done["VersionId"])
    # Bad lock headers.
    assert code(lambda: s3.put_object(Bucket=locked, Key="b", Body=b"x", ObjectLockMode="GOVERNANCE",
                                      ObjectLockRetainUntilDate=in_(-60))) == (400, "InvalidArgument")
    assert code(lambda: s3.put_object(Bucket=locked, Key="b", Body=b"x", ObjectLockLegalHoldStatus="MAYBE")) == (400, "InvalidArgument")
    s3.put_object_legal_hold(Bucket=locked, Key="a", LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=locked, Key="a", VersionId=put["VersionId"], BypassGovernanceRetention=True)


def test_a_lock_put_must_carry_a_digest(server, locked):
    headers = {"x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": in_(60).strftime("%Y-%m-%dT%H:%M:%SZ")}
    response = server.signed("PUT", f"/{locked}/nodigest", body=b"x", headers=headers)
    assert response.status_code == 400 and b"<Code>InvalidRequest</Code>" in response.content
    response = server.signed("PUT", f"/{locked}/nodigest", body=b"x", headers=dict(headers, **{"Content-MD5": base64.b64encode(hashlib.md5(b"x").digest()).decode()}))
    assert response.status_code == 200, response.text
    # Without lock headers, a plain write needs no digest.
    assert server.signed("PUT", f"/{locked}/plain", body=b"x").status_code == 200


def test_retention_can_only_weaken_with_bypass_and_never_in_compliance(s3, locked):
    s3.put_object(Bucket=locked, Key="g", Body=b"g")
    near, far = in_(3600), in_(7200)
    s3.put_object_retention(Bucket=locked, Key="g", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": near})
    s3.put_object_retention(Bucket=locked, Key="g", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": far})
    assert code(lambda: s3.put_object_retention(Bucket=locked, Key="g", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": near})) == (403, "AccessDenied")
    s3.put_object_retention(Bucket=locked, Key="g", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": near}, BypassGovernanceRetention=True)
    s3.put_object_retention(Bucket=locked, Key="g", Retention={}, BypassGovernanceRetention=True)
    assert code(lambda: s3.get_object_retention(Bucket=locked, Key="g")) == (404, "NoSuchObjectLockConfiguration")
    s3.put_object(Bucket=locked, Key="c", Body=b"c", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=in_(4))
    for weaker in [{"Mode": "COMPLIANCE", "RetainUntilDate": in_(2)}, {"Mode": "GOVERNANCE", "RetainUntilDate": in_(100)}, {}]:
        assert code(lambda: s3.put_object_retention(Bucket=locked, Key="c", Retention=weaker, BypassGovernanceRetention=True)) == (403, "AccessDenied")
    s3.put_object_retention(Bucket=locked, Key="c", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": in_(5)})


def test_bypass_needs_its_permission(server, s3, locked):
    """x-amz-bypass-governance-retention from a caller without s3:BypassGovernanceRetention
    changes nothing: the lock holds as if it had not been asked."""
    arn = f"arn:aws:s3:::{locked}"
    key = make_user(server, "nobypass", [
        {"Effect": "Allow", "Action": "s3:*", "Resource": [arn, arn + "/*"]},
        {"Effect": "Deny", "Action": "s3:BypassGovernanceRetention", "Resource": arn + "/*"},
    ])
    user = client_for(server, key)
    put = user.put_object(Bucket=locked, Key="k", Body=b"k", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=in_(3600))
    assert code(lambda: user.delete_object(Bucket=locked, Key="k", VersionId=put["VersionId"], BypassGovernanceRetention=True)) == (403, "AccessDenied")
    result = user.delete_objects(Bucket=locked, BypassGovernanceRetention=True, Delete={"Objects": [{"Key": "k", "VersionId": put["VersionId"]}]})
    assert [(e["Key"], e["VersionId"], e["Code"]) for e in result["Errors"]] == [("k", put["VersionId"], "AccessDenied")]
    assert code(lambda: user.put_object_retention(Bucket=locked, Key="k", Retention={}, BypassGovernanceRetention=True)) == (403, "AccessDenied")
    # Root may bypass.
    s3.delete_object(Bucket=locked, Key="k", VersionId=put["VersionId"], BypassGovernanceRetention=True)
    assert versions_of(s3, locked, "k") == []


def test_a_locked_version_survives_every_removing_path(server, s3, locked, tmp_path):
    s3.put_object_lock_configuration(Bucket=locked, ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
    kept = s3.put_object(Bucket=locked, Key="t/kept", Body=b"evidence")["VersionId"]
    s3.put_object_legal_hold(Bucket=locked, Key="t/kept", LegalHold={"Status": "ON"})
    assert s3.head_object(Bucket=locked, Key="t/kept")["ObjectLockMode"] == "GOVERNANCE"  # the bucket default

    # DeleteObject by version, with and without bypass; DeleteObjects; DeleteBucket.
    for bypass in (False, True):
        assert code(lambda: s3.delete_object(Bucket=locked, Key="t/kept", VersionId=kept, BypassGovernanceRetention=bypass)) == (403, "AccessDenied")
    result = s3.delete_objects(Bucket=locked, BypassGovernanceRetention=True, Delete={"Objects": [{"Key": "t/kept", "VersionId": kept}]})
    assert [e["Code"] for e in result["Errors"]] == ["AccessDenied"]
    assert code(lambda: s3.delete_bucket(Bucket=locked)) == (409, "BucketNotEmpty")
    # Overwrites and a delete marker add versions; the locked one stays.
    s3.put_object(Bucket=locked, Key="t/kept", Body=b"tampered")
    s3.copy_object(Bucket=locked, Key="t/kept", CopySource={"Bucket": locked, "Key": "t/kept"}, MetadataDirective="REPLACE")
    marker = s3.delete_object(Bucket=locked, Key="t/kept")
    assert marker["DeleteMarker"]
    # The CLI's forced bucket removal stops at the locked version.
    env = dict(os.environ, FLOE_CONFIG_DIR=str(tmp_path / "config"),
               FLOE_ALIAS_T=f"{server.endpoint},{ROOT_USER},{ROOT_PASSWORD},{server.catalog_endpoint}")
    removal = subprocess.run([BINARY, "rb", "--force", f"t/{locked}"], env=env, capture_output=True, timeout=120)
    assert removal.returncode != 0 and b"AccessDenied" in removal.stderr
    # The catalog's purge of a table in the bucket leaves its locked files (all under default retention).
    from pyiceberg.catalog import load_catalog
    from pyiceberg.schema import Schema
    from pyiceberg.types import LongType, NestedField
    catalog = load_catalog("floe", **{
        "type": "rest", "uri": server.catalog_endpoint, "credential": f"{ROOT_USER}:{ROOT_PASSWORD}", "warehouse": locked,
        "s3.endpoint": server.endpoint, "s3.access-key-id": ROOT_USER, "s3.secret-access-key": ROOT_PASSWORD,
        "s3.region": "us-east-1", "s3.path-style-access": "true"})
    catalog.create_namespace("worm")
    table = catalog.create_table("worm.records", schema=Schema(NestedField(1, "id", LongType(), required=False)))
    table.append(pa.table({"id": pa.array([1, 2, 3], pa.int64())}))
    before = s3.list_object_versions(Bucket=locked, Prefix="worm/")
    files = {(v["Key"], v["VersionId"]) for v in before.get("Versions", [])}
    assert any(k.endswith(".parquet") for k, _ in files)
    catalog.purge_table("worm.records")
    after = s3.list_object_versions(Bucket=locked, Prefix="worm/")
    assert files <= {(v["Key"], v["VersionId"]) for v in after.get("Versions", [])}
    body = s3.get_object(Bucket=locked, Key="t/kept", VersionId=kept)["Body"].read()
    assert body == b"evidence"

    # Released and bypassed, the owner can clean up.
    s3.put_object_legal_hold(Bucket=locked, Key="t/kept", VersionId=kept, LegalHold={"Status": "OFF"})
    s3.delete_object(Bucket=locked, Key="t/kept", VersionId=kept, BypassGovernanceRetention=True)
    assert kept not in versions_of(s3, locked, "t/kept")


def test_cli_retention_and_legalhold(server, s3, tmp_path):
    cli = floe_cli(server, tmp_path)

    name = "clilock-" + uuid.uuid4().hex[:8]
    cli("mb", "--with-lock", f"t/{name}")
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    cli("retention", "set", f"t/{name}", "--mode", "governance", "--days", "7")
    info = json.loads(cli("retention", "info", f"t/{name}", "--json").stdout)
    assert (info["objectLock"], info["mode"], info["days"]) == (True, "GOVERNANCE", 7)
    s3.put_object(Bucket=name, Key="doc", Body=b"d")
    cli("retention", "set", f"t/{name}/doc", "--mode", "compliance", "--until", in_(3600).strftime("%Y-%m-%dT%H:%M:%SZ"), "--bypass")
    cli("legalhold", "set", f"t/{name}/doc", "on")
    state = json.loads(cli("retention", "info", f"t/{name}/doc", "--json").stdout)
    assert (state["mode"], state["legalHold"]) == ("COMPLIANCE", "ON")
    assert json.loads(cli("legalhold", "info", f"t/{name}/doc", "--json").stdout)["legalHold"] == "ON"
    refused = cli("retention", "clear", f"t/{name}/doc", "--bypass", check=False)
    assert refused.returncode == 1 and b"AccessDenied" in refused.stderr
    cli("legalhold", "set", f"t/{name}/doc", "off")
    cli("retention", "clear", f"t/{name}")
    assert json.loads(cli("retention", "info", f"t/{name}", "--json").stdout)["mode"] is None
    assert cli("retention", "set", f"t/{name}/doc", "--mode", "weird", "--days", "1", check=False).returncode != 0


def test_lock_condition_keys_reach_policies(server, s3, locked):
    """Review finding: s3:object-lock-mode and s3:object-lock-remaining-retention-days were never
    supplied, so a policy capping COMPLIANCE retention was silently ignored."""
    arn = f"arn:aws:s3:::{locked}"
    key = make_user(server, "lockcap", [
        {"Effect": "Allow", "Action": ["s3:PutObject", "s3:PutObjectRetention", "s3:GetObject"], "Resource": arn + "/*"},
        {"Effect": "Deny", "Action": ["s3:PutObject", "s3:PutObjectRetention"], "Resource": arn + "/*",
         "Condition": {"StringEquals": {"s3:object-lock-mode": "COMPLIANCE"}}},
        {"Effect": "Deny", "Action": ["s3:PutObject", "s3:PutObjectRetention"], "Resource": arn + "/*",
         "Condition": {"NumericGreaterThan": {"s3:object-lock-remaining-retention-days": "10"}}},
    ])
    user = client_for(server, key)
    assert code(lambda: user.put_object(Bucket=locked, Key="c", Body=b"c", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=in_(60))) == (403, "AccessDenied")
    assert code(lambda: user.put_object(Bucket=locked, Key="g", Body=b"g", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=in_(30 * 86400))) == (403, "AccessDenied")
    user.put_object(Bucket=locked, Key="g", Body=b"g", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=in_(3600))
    # The body of PutObjectRetention is judged too.
    assert code(lambda: user.put_object_retention(Bucket=locked, Key="g", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": in_(7200)})) == (403, "AccessDenied")
    assert code(lambda: user.put_object_retention(Bucket=locked, Key="g", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": in_(40 * 86400)})) == (403, "AccessDenied")
    user.put_object_retention(Bucket=locked, Key="g", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": in_(7200)})
    assert s3.get_object_retention(Bucket=locked, Key="g")["Retention"]["Mode"] == "GOVERNANCE"


def test_aws_cli_sets_and_reads_locks(server, s3, locked):
    """The lock calls as aws-cli sends them (s3api), not only boto3."""
    version = s3.put_object(Bucket=locked, Key="cli", Body=b"c")["VersionId"]
    server.aws("s3api", "put-object-legal-hold", "--bucket", locked, "--key", "cli", "--legal-hold", "Status=ON")
    until = in_(3600).strftime("%Y-%m-%dT%H:%M:%SZ")
    server.aws("s3api", "put-object-retention", "--bucket", locked, "--key", "cli", "--retention", f"Mode=GOVERNANCE,RetainUntilDate={until}")
    retention = json.loads(server.aws("s3api", "get-object-retention", "--bucket", locked, "--key", "cli").stdout)["Retention"]
    assert retention["Mode"] == "GOVERNANCE"
    assert json.loads(server.aws("s3api", "get-object-legal-hold", "--bucket", locked, "--key", "cli").stdout)["LegalHold"]["Status"] == "ON"
    refused = server.aws("s3api", "delete-object", "--bucket", locked, "--key", "cli", "--version-id", version, "--bypass-governance-retention", check=False)
    assert refused.returncode != 0 and b"AccessDenied" in refused.stderr
    server.aws("s3api", "put-object-legal-hold", "--bucket", locked, "--key", "cli", "--legal-hold", "Status=OFF")
    server.aws("s3api", "delete-object", "--bucket", locked, "--key", "cli", "--version-id", version, "--bypass-governance-retention")
    config = json.loads(server.aws("s3api", "get-object-lock-configuration", "--bucket", locked).stdout)
    assert config["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"
