"""`floe ingest`: CSV, JSON lines and Parquet files land in Iceberg tables with Floe alone, in
one commit per run, idempotently; pyiceberg and DuckDB read exactly what was landed."""
import datetime
import decimal
import json
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from security_helpers import floe_cli
from test_catalog import catalog_for
from test_duckdb import duckdb_attached


@pytest.fixture
def cli(server, tmp_path):
    return floe_cli(server, tmp_path)


@pytest.fixture
def namespace(server):
    name = "ing_" + uuid.uuid4().hex[:8]
    catalog_for(server).create_namespace(name)
    return name


def write(path, text):
    path.write_bytes(text.encode())
    return str(path)


def test_csv_lands_typed_and_partitioned_and_reruns_ingest_only_what_is_new(server, cli, tmp_path, namespace):
    s3 = server.boto3()
    lines = ["id,city,amount,day,ts,note"]
    for n in range(1, 301):
        note = '"says ""hi"", twice"' if n == 7 else ("" if n % 10 == 0 else f"n{n}")
        lines.append(f"{n},{['berlin', 'lisbon', 'oslo'][n % 3]},{n * 1.25:.2f},2026-11-{1 + n % 28:02d},2026-11-{1 + n % 28:02d}T{n % 24:02d}:00:00Z,{note}")
    s3.put_object(Bucket="lakehouse", Key=f"landing/{namespace}/a.csv", Body=("\ufeff" + "\r\n".join(lines) + "\r\n").encode())
    table = f"t/lakehouse/{namespace}.sales"
    first = json.loads(cli("ingest", f"t/lakehouse/landing/{namespace}/", table, "--partition-by", "day(ts)", "--json").stdout)
    assert first["rows"] == 300 and first["created"] and first["sources"] == 1
    catalog = catalog_for(server)
    loaded = catalog.load_table(f"{namespace}.sales")
    types = {f.name: str(f.field_type) for f in loaded.schema().fields}
    assert types["id"] in ("int", "long") and types["amount"].startswith("decimal(") and types["amount"].endswith(", 2)")
    assert {k: types[k] for k in ("city", "day", "ts", "note")} == {"city": "string", "day": "date", "ts": "timestamptz", "note": "string"}
    assert [f.transform.__class__.__name__ for f in loaded.spec().fields] == ["DayTransform"]
    rows = loaded.scan().to_arrow().sort_by("id").to_pylist()
    assert len(rows) == 300
    assert rows[6]["note"] == 'says "hi", twice' and rows[9]["note"] is None
    assert rows[0]["amount"] == decimal.Decimal("1.25") and rows[0]["day"] == datetime.date(2026, 11, 2)
    assert rows[0]["ts"] == datetime.datetime(2026, 11, 2, 1, tzinfo=datetime.timezone.utc)
    # The same landing prefix again: nothing new, no commit.
    again = json.loads(cli("ingest", f"t/lakehouse/landing/{namespace}/", table, "--json").stdout)
    assert again["sources"] == 0 and again["skipped"] == 1
    assert len(catalog.load_table(f"{namespace}.sales").metadata.snapshots) == 1
    # A new file lands: only it is ingested.
    s3.put_object(Bucket="lakehouse", Key=f"landing/{namespace}/b.csv", Body=b"id,city,amount,day,ts,note\n301,rome,2.50,2026-11-05,2026-11-05T10:00:00Z,new\n")
    third = json.loads(cli("ingest", f"t/lakehouse/landing/{namespace}/", table, "--json").stdout)
    assert third["rows"] == 1 and third["skipped"] == 1
    con = duckdb_attached(server)
    assert con.execute(f"SELECT count(*), sum(amount) FROM lake.{namespace}.sales").fetchone() == (301, decimal.Decimal("56440.00"))
    scanned = cli("table", "scan", table, "--format", "jsonl", "--where", "city = 'rome'").stdout.decode().splitlines()
    assert len(scanned) == 1 and json.loads(scanned[0])["note"] == "new"


def test_a_failed_first_run_creates_no_table(server, cli, tmp_path, namespace):
    bad = write(tmp_path / "late.csv", "n\n" + "".join(f"{i}\n" for i in range(12000)) + "oops\n")
    failed = cli("ingest", bad, f"t/lakehouse/{namespace}.late", check=False)
    assert failed.returncode != 0 and b"late.csv:12002" in failed.stderr
    assert not catalog_for(server).table_exists(f"{namespace}.late"), "the table appears only with its first data"
    assert not server.boto3().list_objects_v2(Bucket="lakehouse", Prefix=f"{namespace}/late/").get("Contents"), "nothing left behind"


def test_numbers_past_the_sample_still_fit(server, cli, tmp_path, namespace):
    """The schema comes from the first 10,000 rows; later rows may hold larger numbers (the table
    scan benchmark found decimal(6,2) inferred and row 40,002 refused)."""
    rows = "".join(f"{i},{i % 100}.25\n" for i in range(10_500)) + "3000000000,123456789.50\n"
    path = write(tmp_path / "grow.csv", "n,amount\n" + rows)
    report = json.loads(cli("ingest", path, f"t/lakehouse/{namespace}.grow", "--json").stdout)
    assert report["rows"] == 10_501 and report["rejects"] == 0
    table = catalog_for(server).load_table(f"{namespace}.grow").scan(row_filter="n >= 3000000000").to_arrow().to_pylist()
    assert table == [{"n": 3000000000, "amount": decimal.Decimal("123456789.50")}]


def test_bad_rows_fail_the_run_or_are_set_aside(server, cli, tmp_path, namespace):
    good = write(tmp_path / "ok.csv", "id,value\n1,10\n2,20\n")
    cli("ingest", good, f"t/lakehouse/{namespace}.numbers")
    bad = write(tmp_path / "bad.csv", "id,value\n3,30\n4,forty\n5,50\n")
    failed = cli("ingest", bad, f"t/lakehouse/{namespace}.numbers", check=False)
    assert failed.returncode != 0 and b"bad.csv:3" in failed.stderr and b"value" in failed.stderr
    assert catalog_for(server).load_table(f"{namespace}.numbers").scan().to_arrow().num_rows == 2, "a failed run commits nothing"
    rejects = tmp_path / "rejects.txt"
    done = json.loads(cli("ingest", bad, f"t/lakehouse/{namespace}.numbers", "--max-rejects", "1", "--rejects", str(rejects), "--json").stdout)
    assert done["rows"] == 2 and done["rejects"] == 1
    assert "bad.csv:3" in rejects.read_text()
    assert sorted(catalog_for(server).load_table(f"{namespace}.numbers").scan().to_arrow().column("id").to_pylist()) == [1, 2, 3, 5]


def test_json_lines_nested_then_merge_schema_and_overwrite(server, cli, tmp_path, namespace):
    records = [{"id": n, "user": {"name": f"u{n}", "age": 20 + n}, "tags": [f"t{n}", "all"], "score": n / 4} for n in range(50)]
    records.append({"id": 50, "user": None, "tags": [], "score": None})
    first = write(tmp_path / "events.jsonl", "\n".join(json.dumps(r) for r in records) + "\n")
    table = f"t/lakehouse/{namespace}.events"
    cli("ingest", first, table)
    catalog = catalog_for(server)
    loaded = catalog.load_table(f"{namespace}.events")
    assert str(loaded.schema().find_field("user").field_type).startswith("struct<")
    rows = loaded.scan().to_arrow().sort_by("id").to_pylist()
    assert rows[3]["user"] == {"name": "u3", "age": 23} and rows[3]["tags"] == ["t3", "all"] and rows[50]["user"] is None
    more = write(tmp_path / "more.jsonl", json.dumps({"id": 100, "user": {"name": "x", "age": 1}, "tags": [], "score": 1.5, "country": "pt"}) + "\n")
    refused = cli("ingest", more, table, check=False)
    assert refused.returncode != 0 and b"country" in refused.stderr
    cli("ingest", more, table, "--merge-schema")
    loaded = catalog.load_table(f"{namespace}.events")
    assert loaded.schema().find_field("country") is not None
    back = loaded.scan().to_arrow().sort_by("id").to_pylist()
    assert len(back) == 52 and back[-1]["country"] == "pt" and back[0]["country"] is None
    replaced = write(tmp_path / "replace.jsonl", json.dumps({"id": 7, "user": {"name": "only", "age": 7}, "tags": ["x"], "score": 0.5, "country": "de"}) + "\n")
    cli("ingest", replaced, table, "--overwrite")
    assert catalog.load_table(f"{namespace}.events").scan().to_arrow().column("id").to_pylist() == [7]


def test_parquet_sources_land_by_column_name(server, cli, tmp_path, namespace):
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"k": pa.array(range(1000), pa.int64()), "v": [f"v{i}" for i in range(1000)],
                             "at": pa.array([datetime.datetime(2026, 1, 1) + datetime.timedelta(minutes=i) for i in range(1000)], pa.timestamp("us"))}), source)
    report = json.loads(cli("ingest", str(source), f"t/lakehouse/{namespace}.fromparquet", "--json").stdout)
    assert report["rows"] == 1000
    table = catalog_for(server).load_table(f"{namespace}.fromparquet")
    assert table.scan().to_arrow().sort_by("k").column("v").to_pylist()[:3] == ["v0", "v1", "v2"]
    assert str(table.schema().find_field("at").field_type) == "timestamp"


def test_overwrite_where_replaces_only_matching_rows(server, cli, tmp_path, namespace):
    rows = "".join(f"{n},2026-11-0{1 + n % 3},{n}\n" for n in range(30))
    first = write(tmp_path / "all.csv", "id,day,v\n" + rows)
    table = f"t/lakehouse/{namespace}.daily"
    cli("ingest", first, table, "--partition-by", "day")
    fix = write(tmp_path / "fix.csv", "id,day,v\n100,2026-11-02,1000\n101,2026-11-02,1001\n")
    done = json.loads(cli("ingest", fix, table, "--overwrite", "--where", "day = '2026-11-02'", "--json").stdout)
    assert done["rows"] == 2
    loaded = catalog_for(server).load_table(f"{namespace}.daily")
    got = sorted((r["id"], str(r["day"])) for r in loaded.scan().to_arrow().to_pylist())
    kept = sorted((n, f"2026-11-0{1 + n % 3}") for n in range(30) if n % 3 != 1)
    assert got == sorted(kept + [(100, "2026-11-02"), (101, "2026-11-02")])
    summary = loaded.metadata.current_snapshot().summary
    assert summary.operation.value == "overwrite" and summary["deleted-data-files"] == "1" and summary["total-records"] == str(len(got))
    con = duckdb_attached(server)
    assert con.execute(f"SELECT count(*) FROM lake.{namespace}.daily WHERE day = DATE '2026-11-02'").fetchone() == (2,)
    refused = cli("ingest", fix, table, "--where", "day = '2026-11-02'", check=False)
    assert refused.returncode != 0 and b"--overwrite" in refused.stderr
