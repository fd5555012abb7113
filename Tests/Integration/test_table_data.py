"""`floe table`: Floe reads Iceberg tables written by Spark (the shared corpus), pyiceberg and
DuckDB — manifests through its Avro reader, data through its Parquet reader, deletes applied —
and the Parquet it writes is read by pyarrow, DuckDB and pyiceberg."""
import base64
import datetime
import decimal
import json
import os
import uuid

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from floe_harness import new_server
from security_helpers import floe_cli
from test_catalog import catalog_for
from test_duckdb import duckdb_attached, load_extensions

CORPUS = os.path.join(os.path.dirname(__file__), "../../../shared/iceberg-corpus/spark-3.5.9-iceberg-1.10.2")


@pytest.fixture(scope="module")
def server():
    instance = new_server()
    yield instance
    instance.stop()
    instance.cleanup()


@pytest.fixture
def cli(server, tmp_path):
    return floe_cli(server, tmp_path)


def normalize(value):
    """One rendering for values from Spark's JSON, pyarrow and Floe: timestamps as aware or naive
    datetimes, decimals exact, floats to 6 significant digits, bytes as base64."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(e, tuple) and len(e) == 2 for e in value):
            return {str(k): normalize(v) for k, v in value if v is not None}
        return [normalize(e) for e in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc)
        return value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (float, decimal.Decimal)):
        return float(f"{value:.6g}")
    if isinstance(value, str):
        for text in (value.replace("Z", "+00:00"),):
            try:
                parsed = datetime.datetime.fromisoformat(text)
            except ValueError:
                break
            if "T" in value:
                return normalize(parsed)
    return value


def parse_jsonl(text):
    return [normalize(json.loads(line, parse_float=decimal.Decimal)) for line in text.splitlines() if line.strip()]


def by_id(rows):
    return sorted(rows, key=lambda r: json.dumps(r, sort_keys=True, default=str))


def register_corpus_table(server, name):
    s3 = server.boto3()
    files = os.path.join(CORPUS, name, "files")
    for root, _, names in os.walk(files):
        for file in names:
            local = os.path.join(root, file)
            key = f"bronze/{name}/" + os.path.relpath(local, files)
            s3.upload_file(local, "lakehouse", key)
    tables = json.load(open(os.path.join(CORPUS, "tables.json")))
    metadata = tables[name]["current_metadata"].replace("files/", f"s3://lakehouse/bronze/{name}/", 1)
    catalog_for(server).register_table(f"bronze.{name}", metadata)
    return tables[name]


def spark_rows(path):
    rows = []
    for line in open(path):
        row = json.loads(line, parse_float=decimal.Decimal)
        rows.append(row)
    return rows


def comparable(rows, float_columns=()):
    """Spark prints floats and doubles rounded; compare them to 5 significant digits."""
    out = []
    for row in rows:
        fixed = {}
        for key, value in row.items():
            if key in float_columns and value is not None:
                value = float(f"{float(value):.5g}")
            fixed[key] = value
        out.append(normalize(fixed))
    return by_id(out)


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="no ../shared/iceberg-corpus")
@pytest.mark.parametrize("name", ["spark_v2_types", "spark_v2_mor", "spark_v2_evolved", "spark_v1", "spark_v3_dv"])
def test_spark_tables_read_as_spark_reads_them(server, cli, name):
    info = register_corpus_table(server, name)
    address = f"t/lakehouse/bronze.{name}"
    floats = ("f", "d")
    got = cli("table", "scan", address, "--format", "jsonl").stdout.decode()
    expected = spark_rows(os.path.join(CORPUS, name, "expected-rows.jsonl"))
    assert comparable(parse_jsonl_raw(got), floats) == comparable(expected, floats)
    first = info["snapshots"][0]["snapshot_id"]
    old = cli("table", "scan", address, "--format", "jsonl", "--snapshot", str(first)).stdout.decode()
    expected_old = spark_rows(os.path.join(CORPUS, name, f"expected-rows-at-{first}.jsonl"))
    assert comparable(parse_jsonl_raw(old), floats) == comparable(expected_old, floats)
    summary = json.loads(cli("table", "info", address, "--json").stdout)
    assert summary["formatVersion"] == info["format_version"]


def parse_jsonl_raw(text):
    return [json.loads(line, parse_float=decimal.Decimal) for line in text.splitlines() if line.strip()]


@pytest.mark.skipif(not os.path.isdir(CORPUS), reason="no ../shared/iceberg-corpus")
def test_deletes_and_pruning_are_visible(server, cli):
    register_corpus_table(server, "spark_v2_mor") if not _registered(server, "spark_v2_mor") else None
    address = "t/lakehouse/bronze.spark_v2_mor"
    files = [json.loads(line) for line in cli("table", "files", address, "--json").stdout.decode().splitlines()]
    assert any(f["deletes"] for f in files), "the merge-on-read table has position deletes"
    everything = parse_jsonl_raw(cli("table", "scan", address, "--format", "jsonl").stdout.decode())
    some = cli("table", "scan", address, "--format", "jsonl", "--where", "id < 100", "--stats")
    picked = parse_jsonl_raw(some.stdout.decode())
    assert sorted(r["id"] for r in picked) == sorted(r["id"] for r in everything if r["id"] < 100)
    assert "rows deleted" in some.stderr.decode()


def _registered(server, name):
    try:
        catalog_for(server).load_table(f"bronze.{name}")
        return True
    except Exception:
        return False


def arrow_rows(table):
    return by_id([normalize(row) for row in table.to_pylist()])


def test_pyiceberg_written_table_reads_back_identically(server, cli):
    from pyiceberg.expressions import GreaterThan
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import BucketTransform, DayTransform, IdentityTransform, TruncateTransform
    from pyiceberg.types import (BinaryType, BooleanType, DateType, DecimalType, DoubleType, FloatType, IntegerType, ListType,
                                 LongType, MapType, NestedField, StringType, StructType, TimestampType, TimestamptzType, UUIDType)
    catalog = catalog_for(server)
    ns = "py_" + uuid.uuid4().hex[:8]
    catalog.create_namespace(ns)
    schema = Schema(
        NestedField(1, "id", LongType(), required=False), NestedField(2, "i", IntegerType(), required=False),
        NestedField(3, "f", FloatType(), required=False), NestedField(4, "d", DoubleType(), required=False),
        NestedField(5, "dec", DecimalType(20, 4), required=False), NestedField(6, "s", StringType(), required=False),
        NestedField(7, "b", BooleanType(), required=False), NestedField(8, "day", DateType(), required=False),
        NestedField(9, "ts", TimestamptzType(), required=False), NestedField(10, "ts_ntz", TimestampType(), required=False),
        NestedField(11, "bin", BinaryType(), required=False),
        NestedField(12, "st", StructType(NestedField(13, "x", IntegerType(), required=False), NestedField(14, "y", StringType(), required=False)), required=False),
        NestedField(15, "arr", ListType(16, StringType(), element_required=False), required=False),
        NestedField(17, "m", MapType(18, StringType(), 19, LongType(), value_required=False), required=False),
        NestedField(20, "small", DecimalType(7, 2), required=False),
    )
    spec = PartitionSpec(PartitionField(8, 1000, DayTransform(), "day_day"), PartitionField(1, 1001, BucketTransform(4), "id_bucket"),
                         PartitionField(6, 1002, TruncateTransform(3), "s_trunc"))
    table = catalog.create_table(f"{ns}.types", schema=schema, partition_spec=spec)
    arrow_schema = table.schema().as_arrow()

    def batch(start, count):
        rows = []
        for n in range(start, start + count):
            rows.append({
                "id": n, "i": None if n % 7 == 0 else n * 3, "f": n / 7, "d": None if n % 5 == 0 else n / 3,
                "dec": decimal.Decimal(n) / 8, "s": None if n % 11 == 0 else f"név-{n}", "b": n % 2 == 0,
                "day": datetime.date(2026, 1, 1) + datetime.timedelta(days=n % 9),
                "ts": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(minutes=37 * n),
                "ts_ntz": datetime.datetime(2026, 1, 1) + datetime.timedelta(seconds=n, microseconds=n),
                "bin": f"bin{n}".encode(), "st": None if n % 13 == 0 else {"x": n, "y": f"y{n}"},
                "arr": None if n % 4 == 0 else [f"a{n}", None, f"b{n}"], "m": {"k": n, "z": None} if n % 3 else None,
                "small": decimal.Decimal(n) / 4,
            })
        return pa.Table.from_pylist(rows, schema=arrow_schema)

    table.append(batch(0, 300))
    table.append(batch(300, 200))
    first_snapshot = catalog.load_table(f"{ns}.types").metadata.snapshots[0].snapshot_id
    table = catalog.load_table(f"{ns}.types")
    table.delete("id < 50")
    table = catalog.load_table(f"{ns}.types")
    expected = arrow_rows(table.scan().to_arrow())
    got = by_id(parse_jsonl(cli("table", "scan", f"t/lakehouse/{ns}.types", "--format", "jsonl").stdout.decode()))
    assert len(got) == 450
    assert got == expected
    old = by_id(parse_jsonl(cli("table", "scan", f"t/lakehouse/{ns}.types", "--format", "jsonl", "--snapshot", str(first_snapshot)).stdout.decode()))
    assert old == arrow_rows(table.scan(snapshot_id=first_snapshot).to_arrow())
    # Filters on partition sources and plain columns: the same rows pyiceberg selects.
    for text, pyfilter in [("id >= 400 AND b = true", "id >= 400 AND b == True"), ("day = '2026-01-03'", "day == '2026-01-03'"),
                           ("s LIKE 'név-1%'", "s LIKE 'név-1%'"), ("i IS NULL", "i IS NULL"), ("dec > 30.5", GreaterThan("dec", decimal.Decimal("30.5000"))),
                           ("NOT (s = 'név-77') AND ts < '2026-01-02T00:00:00+00:00'", "NOT (s == 'név-77') AND ts < '2026-01-02T00:00:00+00:00'")]:
        got = by_id(parse_jsonl(cli("table", "scan", f"t/lakehouse/{ns}.types", "--format", "jsonl", "--where", text).stdout.decode()))
        assert got == arrow_rows(table.scan(row_filter=pyfilter).to_arrow()), text
    stats = cli("table", "scan", f"t/lakehouse/{ns}.types", "--format", "csv", "--where", "day = '2026-01-03'", "--stats").stderr.decode()
    files = [json.loads(line) for line in cli("table", "files", f"t/lakehouse/{ns}.types", "--json").stdout.decode().splitlines()]
    pruned = [json.loads(line) for line in cli("table", "files", f"t/lakehouse/{ns}.types", "--json", "--where", "day = '2026-01-03'").stdout.decode().splitlines()]
    assert 0 < len(pruned) < len(files), "partition pruning keeps only the files of that day"
    assert "data files: %d," % len(pruned) in stats
    partitions = [json.loads(line) for line in cli("table", "partitions", f"t/lakehouse/{ns}.types", "--json").stdout.decode().splitlines()]
    assert sum(p["records"] for p in partitions) == sum(f["records"] for f in files)
    projected = parse_jsonl(cli("table", "scan", f"t/lakehouse/{ns}.types", "--format", "jsonl", "--columns", "id,st", "--limit", "5").stdout.decode())
    assert len(projected) == 5 and all(set(r) <= {"id", "st"} for r in projected)


def test_duckdb_written_table_reads_back(server, cli):
    catalog = catalog_for(server)
    ns = "dk_" + uuid.uuid4().hex[:8]
    catalog.create_namespace(ns)
    catalog.create_table(f"{ns}.events", schema=pa.schema([("id", pa.int64()), ("name", pa.string()), ("amount", pa.float64())]))
    con = duckdb_attached(server)
    con.execute(f"INSERT INTO lake.{ns}.events SELECT range, 'n' || range, range * 1.5 FROM range(2000)")
    con.execute(f"INSERT INTO lake.{ns}.events SELECT range, 'm' || range, NULL FROM range(2000, 2100)")
    expected = by_id([normalize(dict(zip(["id", "name", "amount"], row))) for row in con.execute(f"SELECT id, name, amount FROM lake.{ns}.events").fetchall()])
    got = by_id(parse_jsonl(cli("table", "scan", f"t/lakehouse/{ns}.events", "--format", "jsonl").stdout.decode()))
    assert got == expected and len(got) == 2100


def test_floe_written_parquet_is_read_by_pyarrow_duckdb_and_pyiceberg(server, cli, tmp_path):
    catalog = catalog_for(server)
    ns = "fw_" + uuid.uuid4().hex[:8]
    catalog.create_namespace(ns)
    source = catalog.create_table(f"{ns}.source", schema=pa.schema([
        ("id", pa.int64()), ("name", pa.string()), ("price", pa.decimal128(12, 3)), ("when", pa.timestamp("us", tz="UTC")),
        ("tags", pa.list_(pa.string())), ("attrs", pa.struct([("a", pa.int32()), ("b", pa.float64())]))]))
    rows = [{"id": n, "name": None if n % 9 == 0 else f"item {n}", "price": decimal.Decimal(n) / 1000,
             "when": datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(hours=n),
             "tags": [f"t{n % 3}"] * (n % 3), "attrs": {"a": n, "b": n / 2}} for n in range(3000)]
    source.append(pa.Table.from_pylist(rows, schema=source.schema().as_arrow()))
    out = tmp_path / "floe.parquet"
    cli("table", "scan", f"t/lakehouse/{ns}.source", "--format", "parquet", "--output", str(out))
    expected = arrow_rows(catalog.load_table(f"{ns}.source").scan().to_arrow())
    read = pq.read_table(out)
    assert arrow_rows(read) == expected
    assert read.schema.field("id").metadata[b"PARQUET:field_id"] == b"1"
    con = duckdb.connect()
    assert con.execute(f"SELECT count(*), sum(id), count(name) FROM read_parquet('{out}')").fetchone() == (3000, sum(range(3000)), 3000 - 334)
    # pyiceberg registers Floe's file in a table as it is (field ids match), then reads it back.
    s3 = server.boto3()
    copy = catalog.create_table(f"{ns}.copy", schema=catalog.load_table(f"{ns}.source").schema())
    s3.upload_file(str(out), "lakehouse", f"{ns}/copy/data/floe.parquet")
    copy.add_files([f"s3://lakehouse/{ns}/copy/data/floe.parquet"])
    assert arrow_rows(catalog.load_table(f"{ns}.copy").scan().to_arrow()) == expected


def test_bad_addresses_and_filters_are_explained(server, cli):
    result = cli("table", "scan", "t/lakehouse/nope", check=False)
    assert result.returncode != 0 and b"NAMESPACE.TABLE" in result.stderr
    catalog = catalog_for(server)
    ns = "bad_" + uuid.uuid4().hex[:8]
    catalog.create_namespace(ns)
    catalog.create_table(f"{ns}.t", schema=pa.schema([("id", pa.int64())]))
    result = cli("table", "scan", f"t/lakehouse/{ns}.t", "--where", "id >", check=False)
    assert result.returncode != 0 and b"--where" in result.stderr
    result = cli("table", "scan", f"t/lakehouse/{ns}.t", "--where", "nope = 1", check=False)
    assert result.returncode != 0 and b"nope" in result.stderr
    # An empty table scans to nothing.
    assert cli("table", "scan", f"t/lakehouse/{ns}.t", "--format", "jsonl").stdout == b""


def test_add_files_writes_manifests_that_pyiceberg_and_duckdb_read(server, cli, tmp_path):
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import IdentityTransform
    from pyiceberg.types import DoubleType, LongType, NestedField, StringType, TimestamptzType
    catalog = catalog_for(server)
    ns = "af_" + uuid.uuid4().hex[:8]
    catalog.create_namespace(ns)
    schema = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "region", StringType(), required=False),
                    NestedField(3, "amount", DoubleType(), required=False), NestedField(4, "at", TimestamptzType(), required=False))
    table = catalog.create_table(f"{ns}.sales", schema=schema, partition_spec=PartitionSpec(PartitionField(2, 1000, IdentityTransform(), "region")))
    table.append(pa.Table.from_pylist([{"id": 0, "region": "eu", "amount": 1.5, "at": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)}],
                                      schema=table.schema().as_arrow()))
    s3 = server.boto3()
    arrow_schema = pa.schema([("id", pa.int64()), ("region", pa.string()), ("amount", pa.float64()), ("at", pa.timestamp("us", tz="UTC"))])
    expected = [{"id": 0, "region": "eu", "amount": 1.5, "at": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)}]
    for n, region in enumerate(["eu", "us", "apac"]):
        rows = [{"id": 100 * (n + 1) + i, "region": region, "amount": None if i % 10 == 0 else i * 0.5,
                 "at": datetime.datetime(2026, 2, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(minutes=i)} for i in range(50)]
        expected += rows
        local = tmp_path / f"{region}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema), local, row_group_size=20)
        s3.upload_file(str(local), "lakehouse", f"{ns}/sales/data/landing/{region}.parquet")
    added = json.loads(cli("table", "add-files", f"t/lakehouse/{ns}.sales", f"t/lakehouse/{ns}/sales/data/landing/", "--json").stdout)
    assert added["files"] == 3 and added["records"] == 150
    table = catalog.load_table(f"{ns}.sales")
    assert arrow_rows(table.scan().to_arrow()) == by_id([normalize(r) for r in expected])
    files = table.inspect.files().to_pylist()
    mine = [f for f in files if "landing" in f["file_path"]]
    assert len(mine) == 3 and all(f["partition"]["region"] in ("eu", "us", "apac") for f in mine)
    eu = next(f for f in mine if f["partition"]["region"] == "eu")
    assert dict(eu["null_value_counts"])[3] == 5 and dict(eu["value_counts"])[1] == 50 and eu["record_count"] == 50
    # pyiceberg prunes with Floe's partition values and bounds.
    assert table.scan(row_filter="region == 'us' AND id >= 240").to_arrow().num_rows == 10
    con = duckdb_attached(server)
    assert con.execute(f"SELECT count(*), count(amount) FROM lake.{ns}.sales").fetchone() == (151, 151 - 15)
    assert con.execute(f"SELECT count(*) FROM lake.{ns}.sales WHERE region = 'apac'").fetchone() == (50,)
    got = by_id(parse_jsonl(cli("table", "scan", f"t/lakehouse/{ns}.sales", "--format", "jsonl").stdout.decode()))
    assert got == by_id([normalize(r) for r in expected])
    # The same file twice is refused; so is a file whose rows span partitions.
    again = cli("table", "add-files", f"t/lakehouse/{ns}.sales", f"s3://lakehouse/{ns}/sales/data/landing/eu.parquet", check=False)
    assert again.returncode != 0 and b"already part of" in again.stderr
    mixed = tmp_path / "mixed.parquet"
    pq.write_table(pa.Table.from_pylist([{"id": 1, "region": "eu"}, {"id": 2, "region": "us"}], schema=pa.schema([("id", pa.int64()), ("region", pa.string())])), mixed)
    s3.upload_file(str(mixed), "lakehouse", f"{ns}/sales/data/other/mixed.parquet")
    refused = cli("table", "add-files", f"t/lakehouse/{ns}.sales", f"s3://lakehouse/{ns}/sales/data/other/mixed.parquet", check=False)
    assert refused.returncode != 0 and b"more than one partition" in refused.stderr
    # Files outside the table's location are refused: readers' credentials are scoped to it.
    s3.upload_file(str(tmp_path / "eu.parquet"), "lakehouse", f"{ns}/elsewhere/eu.parquet")
    outside = cli("table", "add-files", f"t/lakehouse/{ns}.sales", f"s3://lakehouse/{ns}/elsewhere/eu.parquet", check=False)
    assert outside.returncode != 0 and b"outside the table's location" in outside.stderr
    assert len(catalog.load_table(f"{ns}.sales").metadata.snapshots) == 2
