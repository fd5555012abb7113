"""polars, configured exactly as docs/engines.md shows: Parquet and CSV straight from a bucket,
a Parquet file written back, and an Iceberg table scanned through pyiceberg."""
import io
import uuid

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from floe_harness import REGION, ROOT_PASSWORD, ROOT_USER
from test_catalog import catalog_for


def storage_options(server):
    return {"aws_endpoint_url": server.endpoint, "aws_access_key_id": ROOT_USER, "aws_secret_access_key": ROOT_PASSWORD,
            "aws_region": REGION, "aws_allow_http": "true"}


def test_polars_reads_and_writes_objects(server):
    s3 = server.boto3()
    bucket = "polars-" + uuid.uuid4().hex[:8]
    s3.create_bucket(Bucket=bucket)
    buffer = io.BytesIO()
    pq.write_table(pa.table({"city": ["oslo", "rome", "oslo"], "amount": [1.5, 2.0, 4.0]}), buffer)
    s3.put_object(Bucket=bucket, Key="sales/part-0.parquet", Body=buffer.getvalue())
    s3.put_object(Bucket=bucket, Key="sales/extra.csv", Body=b"city,amount\nlisbon,3.25\n")

    options = storage_options(server)
    frame = pl.read_parquet(f"s3://{bucket}/sales/part-0.parquet", storage_options=options)
    assert frame.group_by("city").agg(pl.col("amount").sum()).sort("city").rows() == [("oslo", 5.5), ("rome", 2.0)]
    lazy = pl.scan_parquet(f"s3://{bucket}/sales/*.parquet", storage_options=options).filter(pl.col("amount") > 1.9).collect()
    assert lazy.height == 2
    assert pl.read_csv(f"s3://{bucket}/sales/extra.csv", storage_options=options).rows() == [("lisbon", 3.25)]

    frame.write_parquet(f"s3://{bucket}/out/result.parquet", storage_options=options)
    assert pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key="out/result.parquet")["Body"].read())).num_rows == 3


def test_polars_scans_an_iceberg_table(server):
    catalog = catalog_for(server)
    namespace = "pl_" + uuid.uuid4().hex[:8]
    catalog.create_namespace(namespace)
    table = catalog.create_table(f"{namespace}.events", schema=pa.schema([("id", pa.int64()), ("kind", pa.string())]))
    table.append(pa.table({"id": [1, 2, 3], "kind": ["a", "b", "a"]}))
    frame = pl.scan_iceberg(catalog.load_table(f"{namespace}.events"), storage_options=storage_options(server)).filter(pl.col("kind") == "a").collect()
    assert sorted(frame["id"].to_list()) == [1, 3]
