"""ListObjects (v1) and ListObjectsV2 against what boto3 and AWS's documentation expect."""
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from botocore.exceptions import ClientError

from floe_harness import error_code

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
KEYS = ["a/1", "a/2", "a/b/3", "b", "c d/e+f", "c d/g", "d", "e/f/g", "e/x", "zz/é"]


@pytest.fixture
def listed_bucket(s3, bucket):
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def all_pages(s3, method, **kwargs):
    paginator = s3.get_paginator(method)
    keys, prefixes, pages = [], [], 0
    for page in paginator.paginate(**kwargs):
        pages += 1
        keys += [o["Key"] for o in page.get("Contents", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    return keys, prefixes, pages


def test_v2_flat_and_paginated(s3, listed_bucket):
    page = s3.list_objects_v2(Bucket=listed_bucket)
    assert [o["Key"] for o in page["Contents"]] == KEYS
    assert page["KeyCount"] == len(KEYS) and not page["IsTruncated"]
    assert "Owner" not in page["Contents"][0]
    keys, prefixes, pages = all_pages(s3, "list_objects_v2", Bucket=listed_bucket, PaginationConfig={"PageSize": 3})
    assert keys == KEYS and pages == 4


def test_v2_delimiter_rolls_up(s3, listed_bucket):
    keys, prefixes, pages = all_pages(s3, "list_objects_v2", Bucket=listed_bucket, Delimiter="/", PaginationConfig={"PageSize": 2})
    assert keys == ["b", "d"]
    assert prefixes == ["a/", "c d/", "e/", "zz/"]
    page = s3.list_objects_v2(Bucket=listed_bucket, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in page["Contents"]] == ["a/1", "a/2"]
    assert [p["Prefix"] for p in page["CommonPrefixes"]] == ["a/b/"]


def test_v2_start_after_fetch_owner_and_max_keys(s3, listed_bucket):
    page = s3.list_objects_v2(Bucket=listed_bucket, StartAfter="c d/g", FetchOwner=True, MaxKeys=2)
    assert [o["Key"] for o in page["Contents"]] == ["d", "e/f/g"]
    assert page["Contents"][0]["Owner"]["DisplayName"] == "floetestroot"
    assert page["IsTruncated"] and page["NextContinuationToken"]
    assert page["StartAfter"] == "c d/g"
    empty = s3.list_objects_v2(Bucket=listed_bucket, MaxKeys=0)
    assert empty["KeyCount"] == 0 and "Contents" not in empty


def test_v1_markers(s3, listed_bucket):
    keys, prefixes, pages = all_pages(s3, "list_objects", Bucket=listed_bucket, Delimiter="/", PaginationConfig={"PageSize": 2})
    assert keys == ["b", "d"] and prefixes == ["a/", "c d/", "e/", "zz/"]
    page = s3.list_objects(Bucket=listed_bucket, Marker="b", MaxKeys=2)
    assert [o["Key"] for o in page["Contents"]] == ["c d/e+f", "c d/g"]
    assert page["IsTruncated"] and page["Contents"][0]["Owner"]["ID"]


def test_encoding_type_url_raw(server, listed_bucket):
    response = server.signed("GET", f"/{listed_bucket}", params={"list-type": "2", "encoding-type": "url", "prefix": "c d/", "delimiter": "/"})
    root = ET.fromstring(response.content)
    assert root.findtext(f"{NS}EncodingType") == "url"
    assert root.findtext(f"{NS}Prefix") == "c%20d/"
    assert [urllib.parse.unquote_plus(k.text) for k in root.iter(f"{NS}Key")] == ["c d/e+f", "c d/g"]
    assert [k.text for k in root.iter(f"{NS}Key")] == ["c%20d/e%2Bf", "c%20d/g"]
    plain = ET.fromstring(server.signed("GET", f"/{listed_bucket}", params={"list-type": "2", "prefix": "zz/"}).content)
    assert [k.text for k in plain.iter(f"{NS}Key")] == ["zz/é"]


def test_bad_list_arguments(server, listed_bucket):
    response = server.signed("GET", f"/{listed_bucket}", params={"list-type": "2", "max-keys": "-1"})
    assert (response.status_code, error_code(response)) == (400, "InvalidArgument")
    response = server.signed("GET", f"/{listed_bucket}", params={"list-type": "2", "continuation-token": "bogus!"})
    assert (response.status_code, error_code(response)) == (400, "InvalidArgument")
    response = server.signed("GET", f"/{listed_bucket}", params={"list-type": "2", "encoding-type": "base64"})
    assert (response.status_code, error_code(response)) == (400, "InvalidArgument")


def test_many_keys_page_cleanly(s3, bucket):
    for i in range(1100):
        s3.put_object(Bucket=bucket, Key=f"many/{i:05d}", Body=b"")
    first = s3.list_objects_v2(Bucket=bucket, MaxKeys=5000)
    assert first["KeyCount"] == 1000 and first["IsTruncated"] and first["MaxKeys"] == 1000
    keys, _, pages = all_pages(s3, "list_objects_v2", Bucket=bucket)
    assert len(keys) == 1100 and pages == 2 and keys == sorted(keys)
