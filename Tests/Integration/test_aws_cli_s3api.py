"""Every operation of the S3-semantics issue through aws-cli's s3api, as users script it."""
import json
import os
import uuid


def run(server, *args):
    return json.loads(server.aws("s3api", *args).stdout or b"{}")


def test_s3api_multipart_copy_delete_tagging(server, tmp_path):
    bucket = "cli3-" + uuid.uuid4().hex[:12]
    run(server, "create-bucket", "--bucket", bucket)
    run(server, "put-bucket-versioning", "--bucket", bucket, "--versioning-configuration", "Status=Enabled")

    part1 = tmp_path / "p1"
    part1.write_bytes(os.urandom(5 * 1024 * 1024))
    part2 = tmp_path / "p2"
    part2.write_bytes(b"tail of the object")
    upload = run(server, "create-multipart-upload", "--bucket", bucket, "--key", "mp/obj", "--checksum-algorithm", "SHA256",
                 "--metadata", "source=cli")
    uid = upload["UploadId"]
    listed = run(server, "list-multipart-uploads", "--bucket", bucket)
    assert [u["UploadId"] for u in listed["Uploads"]] == [uid]
    etags = []
    for number, path in [(1, part1), (2, part2)]:
        etags.append(run(server, "upload-part", "--bucket", bucket, "--key", "mp/obj", "--upload-id", uid, "--part-number", str(number),
                         "--body", str(path), "--checksum-algorithm", "SHA256"))
    parts = run(server, "list-parts", "--bucket", bucket, "--key", "mp/obj", "--upload-id", uid)
    assert [p["PartNumber"] for p in parts["Parts"]] == [1, 2] and parts["ChecksumAlgorithm"] == "SHA256"
    layout = tmp_path / "parts.json"
    layout.write_text(json.dumps({"Parts": [{"PartNumber": n + 1, "ETag": e["ETag"], "ChecksumSHA256": e["ChecksumSHA256"]} for n, e in enumerate(etags)]}))
    done = run(server, "complete-multipart-upload", "--bucket", bucket, "--key", "mp/obj", "--upload-id", uid, "--multipart-upload", f"file://{layout}")
    assert done["ETag"].endswith('-2"') and done["ChecksumSHA256"].endswith("-2") and done["VersionId"]
    attributes = run(server, "get-object-attributes", "--bucket", bucket, "--key", "mp/obj", "--object-attributes", "ObjectParts", "ObjectSize", "Checksum")
    assert attributes["ObjectParts"]["TotalPartsCount"] == 2 and attributes["ObjectSize"] == part1.stat().st_size + part2.stat().st_size

    aborted = run(server, "create-multipart-upload", "--bucket", bucket, "--key", "mp/aborted")["UploadId"]
    run(server, "upload-part-copy", "--bucket", bucket, "--key", "mp/aborted", "--upload-id", aborted, "--part-number", "1",
        "--copy-source", f"{bucket}/mp/obj", "--copy-source-range", "bytes=0-99")
    server.aws("s3api", "abort-multipart-upload", "--bucket", bucket, "--key", "mp/aborted", "--upload-id", aborted)
    assert "Uploads" not in run(server, "list-multipart-uploads", "--bucket", bucket)

    copied = run(server, "copy-object", "--bucket", bucket, "--key", "copies/obj", "--copy-source", f"{bucket}/mp/obj",
                 "--metadata-directive", "REPLACE", "--metadata", "copied=yes")
    assert copied["CopyObjectResult"]["ETag"]
    head = run(server, "head-object", "--bucket", bucket, "--key", "copies/obj")
    assert head["Metadata"] == {"copied": "yes"} and head["ContentLength"] == attributes["ObjectSize"]

    server.aws("s3api", "put-object-tagging", "--bucket", bucket, "--key", "copies/obj", "--tagging", "TagSet=[{Key=zone,Value=bronze}]")
    assert run(server, "get-object-tagging", "--bucket", bucket, "--key", "copies/obj")["TagSet"] == [{"Key": "zone", "Value": "bronze"}]
    server.aws("s3api", "put-bucket-tagging", "--bucket", bucket, "--tagging", "TagSet=[{Key=team,Value=data}]")
    assert run(server, "get-bucket-tagging", "--bucket", bucket)["TagSet"] == [{"Key": "team", "Value": "data"}]

    deleted = run(server, "delete-objects", "--bucket", bucket, "--delete", "Objects=[{Key=mp/obj},{Key=copies/obj}]")
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["copies/obj", "mp/obj"]
    assert all(d["DeleteMarker"] for d in deleted["Deleted"])
    versions = run(server, "list-object-versions", "--bucket", bucket)
    assert len(versions["DeleteMarkers"]) == 2 and len(versions["Versions"]) == 2
    entries = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions["Versions"] + versions["DeleteMarkers"]]
    spec = tmp_path / "delete.json"
    spec.write_text(json.dumps({"Objects": entries, "Quiet": True}))
    run(server, "delete-objects", "--bucket", bucket, "--delete", f"file://{spec}")
    server.aws("s3api", "delete-bucket", "--bucket", bucket)
