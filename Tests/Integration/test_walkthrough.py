"""The raw → bronze → gold walkthrough of docs/walkthrough.md, every step executed: landing files
with aws-cli and boto3, bronze tables with pyiceberg and DuckDB, a gold aggregate read back by a
second engine, time travel and rollback, and a landing file restored from an older version."""
import csv
import datetime
import io
import json
import os
import random
import subprocess

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.transforms import DayTransform

from floe_harness import ROOT_PASSWORD, ROOT_USER
from test_catalog import catalog_for
from test_duckdb import duckdb_attached

BINARY = os.environ.get("FLOE_BINARY") or os.path.join(os.path.dirname(__file__), "../../.build/debug/floe")

ROWS = 200_000
CUSTOMERS = 250_000
CITIES = ["berlin", "paris", "lisbon", "oslo", "rome"]


def orders_csv() -> bytes:
    rng = random.Random(7)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["order_id", "customer_id", "city", "order_ts", "amount"])
    start = datetime.datetime(2026, 1, 1)
    for i in range(ROWS):
        ts = start + datetime.timedelta(seconds=rng.randrange(0, 14 * 86400))
        writer.writerow([i, rng.randrange(0, 5000), rng.choice(CITIES), ts.isoformat(), f"{rng.uniform(1, 500):.2f}"])
    return out.getvalue().encode()


def customers_jsonl() -> bytes:
    rng = random.Random(8)
    return "".join(json.dumps({"customer_id": i, "tier": rng.choice(["free", "pro", "team"])}) + "\n" for i in range(CUSTOMERS)).encode()


def test_raw_bronze_gold(server, tmp_path):
    s3 = server.boto3()
    env = dict(os.environ, FLOE_CONFIG_DIR=str(tmp_path / "floe-config"))
    def floe(*args):
        result = subprocess.run([BINARY, *args], env=env, capture_output=True, timeout=300)
        assert result.returncode == 0, result.stderr.decode()
        return result.stdout.decode()
    floe("alias", "set", "local", server.endpoint, ROOT_USER, ROOT_PASSWORD, "--catalog", server.catalog_endpoint)
    # 1. Keep every version of what lands.
    floe("version", "enable", "local/lakehouse")
    assert s3.get_bucket_versioning(Bucket="lakehouse")["Status"] == "Enabled"
    # 2. Land raw files: the CSV with aws-cli, the JSON lines with floe cp.
    landing = tmp_path / "orders.csv"
    landing.write_bytes(orders_csv())
    server.aws("s3", "cp", str(landing), "s3://lakehouse/raw/landing/orders/orders.csv")
    (tmp_path / "customers.jsonl").write_bytes(customers_jsonl())
    floe("cp", str(tmp_path / "customers.jsonl"), "local/lakehouse/raw/landing/customers/")
    assert s3.head_object(Bucket="lakehouse", Key="raw/landing/customers/customers.jsonl")["ContentType"] == "application/x-ndjson"

    # 2. Bronze with pyiceberg: typed and partitioned by day.
    catalog = catalog_for(server)
    raw = s3.get_object(Bucket="lakehouse", Key="raw/landing/orders/orders.csv")["Body"].read()
    orders = pacsv.read_csv(io.BytesIO(raw), convert_options=pacsv.ConvertOptions(column_types={
        "order_id": pa.int64(), "customer_id": pa.int64(), "city": pa.string(), "order_ts": pa.timestamp("us"), "amount": pa.float64()}))
    assert orders.num_rows == ROWS
    bronze = catalog.create_table("bronze.orders", schema=orders.schema)
    with bronze.update_spec() as spec:
        spec.add_field("order_ts", DayTransform(), "order_day")
    bronze = catalog.load_table("bronze.orders")
    bronze.append(orders)
    assert catalog.load_table("bronze.orders").scan().to_arrow().num_rows == ROWS

    # 3. Bronze with DuckDB: CTAS from the landed JSON lines through the iceberg extension.
    con = duckdb_attached(server)
    con.execute("CREATE TABLE lake.bronze.customers AS SELECT * FROM read_json('s3://lakehouse/raw/landing/customers/customers.jsonl')")
    assert con.execute("SELECT count(*) FROM lake.bronze.customers").fetchone()[0] == CUSTOMERS
    assert catalog.load_table("bronze.customers").scan().to_arrow().num_rows == CUSTOMERS

    # 4. Gold: revenue per city, written by pyiceberg, read back by DuckDB, numbers compared.
    per_city = orders.group_by("city").aggregate([("amount", "sum"), ("order_id", "count")]).rename_columns(["city", "revenue", "orders"])
    gold = catalog.create_table("gold.revenue_by_city", schema=per_city.schema)
    gold.append(per_city)
    good_snapshot = catalog.load_table("gold.revenue_by_city").current_snapshot().snapshot_id
    from_duckdb = dict(con.execute("SELECT city, revenue FROM lake.gold.revenue_by_city").fetchall())
    expected = dict(zip(per_city.column("city").to_pylist(), per_city.column("revenue").to_pylist()))
    assert from_duckdb.keys() == expected.keys()
    assert all(abs(from_duckdb[c] - expected[c]) < 1e-6 for c in expected)
    joined = con.execute("""
        SELECT c.tier, count(*) FROM lake.bronze.orders o JOIN lake.bronze.customers c USING (customer_id) GROUP BY c.tier""").fetchall()
    assert sum(n for _, n in joined) == ROWS

    # 5. A bad write, seen through time travel, then rolled back.
    gold = catalog.load_table("gold.revenue_by_city")
    gold.append(pa.table({"city": ["berlin"], "revenue": [1e12], "orders": [1]}))
    assert catalog.load_table("gold.revenue_by_city").scan().to_arrow().num_rows == len(CITIES) + 1
    assert catalog.load_table("gold.revenue_by_city").scan(snapshot_id=good_snapshot).to_arrow().num_rows == len(CITIES)
    catalog.load_table("gold.revenue_by_city").manage_snapshots().rollback_to_snapshot(good_snapshot).commit()
    assert catalog.load_table("gold.revenue_by_city").scan().to_arrow().num_rows == len(CITIES)
    history = [json.loads(line) for line in floe("catalog", "table", "history", "local", "gold.revenue_by_city", "--json").splitlines()]
    assert [h["snapshotId"] for h in history if h["current"]] == [good_snapshot]

    # 6. The landing file is overwritten by mistake and restored from its older version.
    s3.put_object(Bucket="lakehouse", Key="raw/landing/orders/orders.csv", Body=b"oops\n")
    floe("undo", "local/lakehouse/raw/landing/orders/orders.csv")
    assert s3.get_object(Bucket="lakehouse", Key="raw/landing/orders/orders.csv")["Body"].read() == landing.read_bytes()


def test_floe_only_raw_bronze_gold(server, tmp_path):
    """docs/walkthrough.md §8: land with floe cp, ingest into bronze, CREATE TABLE … AS SELECT
    into gold — Floe alone — then DuckDB and pyiceberg read gold, and the numbers match DuckDB's
    own aggregation of the landed files."""
    env = dict(os.environ, FLOE_CONFIG_DIR=str(tmp_path / "floe-config"))
    def floe(*args):
        result = subprocess.run([BINARY, *args], env=env, capture_output=True, timeout=600)
        assert result.returncode == 0, result.stderr.decode()
        return result.stdout.decode()
    floe("alias", "set", "local", server.endpoint, ROOT_USER, ROOT_PASSWORD, "--catalog", server.catalog_endpoint)
    (tmp_path / "orders.csv").write_bytes(orders_csv())
    (tmp_path / "customers.jsonl").write_bytes(customers_jsonl())
    floe("cp", str(tmp_path / "orders.csv"), "local/lakehouse/raw/floe/orders/")
    floe("cp", str(tmp_path / "customers.jsonl"), "local/lakehouse/raw/floe/customers/")
    orders = json.loads(floe("ingest", "local/lakehouse/raw/floe/orders/", "local/lakehouse/bronze.orders_floe", "--partition-by", "day(order_ts)", "--json"))
    assert orders["rows"] == ROWS and orders["created"]
    customers = json.loads(floe("ingest", "local/lakehouse/raw/floe/customers/", "local/lakehouse/bronze.customers_floe", "--json"))
    assert customers["rows"] == CUSTOMERS
    floe("query", "CREATE TABLE lakehouse.gold.revenue_by_tier PARTITIONED BY (city) AS "
                  "SELECT o.city, c.tier, count(*) AS orders, sum(o.amount) AS revenue "
                  "FROM lakehouse.bronze.orders_floe o JOIN lakehouse.bronze.customers_floe c ON o.customer_id = c.customer_id "
                  "GROUP BY o.city, c.tier")
    # DuckDB aggregates the landed files itself: the reference.
    reference = duckdb.connect().execute(
        f"SELECT o.city, c.tier, count(*), sum(o.amount) FROM read_csv('{tmp_path / 'orders.csv'}') o "
        f"JOIN read_json('{tmp_path / 'customers.jsonl'}', format='newline_delimited') c ON o.customer_id = c.customer_id GROUP BY 1, 2").fetchall()
    expected = {(city, tier): (n, round(float(revenue), 2)) for city, tier, n, revenue in reference}
    con = duckdb_attached(server)
    via_duckdb = {(city, tier): (n, round(float(revenue), 2)) for city, tier, n, revenue in
                  con.execute("SELECT city, tier, orders, revenue FROM lake.gold.revenue_by_tier").fetchall()}
    assert via_duckdb == expected
    gold = catalog_for(server).load_table("gold.revenue_by_tier").scan().to_arrow().to_pylist()
    assert {(r["city"], r["tier"]): (r["orders"], round(float(r["revenue"]), 2)) for r in gold} == expected
    top = floe("query", "SELECT city, sum(revenue) AS revenue FROM lakehouse.gold.revenue_by_tier GROUP BY city ORDER BY revenue DESC", "--format", "csv")
    assert top.splitlines()[0] == "city,revenue" and len(top.splitlines()) == 1 + len(CITIES)
    # A second run over the same landing prefix finds nothing new.
    assert json.loads(floe("ingest", "local/lakehouse/raw/floe/orders/", "local/lakehouse/bronze.orders_floe", "--json"))["sources"] == 0
