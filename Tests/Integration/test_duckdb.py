"""DuckDB's iceberg extension against the catalog: reads what pyiceberg wrote, and its INSERTs
(committed through /transactions/commit) are read back by pyiceberg."""
import glob
import os
import uuid

import duckdb
import pytest
import pyarrow as pa

from floe_harness import ROOT_PASSWORD, ROOT_USER
from test_catalog import catalog_for


@pytest.fixture
def server(catalog_server):
    """Every test in this module runs once per catalog store."""
    return catalog_server


def load_extensions(con):
    """The pinned extensions from PyPI wheels; nothing is downloaded at run time."""
    con.execute("SET autoinstall_known_extensions=false")
    con.execute("SET autoload_known_extensions=false")
    site = os.path.dirname(os.path.dirname(duckdb.__file__))
    for extension in ["httpfs", "avro", "iceberg"]:
        path = glob.glob(f"{site}/duckdb_extension_{extension}/extensions/v*/{extension}.duckdb_extension")[0]
        con.execute(f"LOAD '{path}'")


def duckdb_attached(server):
    con = duckdb.connect()
    load_extensions(con)
    con.execute(f"CREATE SECRET floe_s3 (TYPE S3, KEY_ID '{ROOT_USER}', SECRET '{ROOT_PASSWORD}', ENDPOINT '127.0.0.1:{server.port}', "
                "URL_STYLE 'path', USE_SSL false, REGION 'us-east-1')")
    con.execute(f"CREATE SECRET floe_catalog (TYPE ICEBERG, CLIENT_ID '{ROOT_USER}', CLIENT_SECRET '{ROOT_PASSWORD}', "
                f"OAUTH2_SERVER_URI '{server.catalog_endpoint}/v1/oauth/tokens')")
    con.execute(f"ATTACH 'lakehouse' AS lake (TYPE ICEBERG, ENDPOINT '{server.catalog_endpoint}', SECRET floe_catalog, ACCESS_DELEGATION_MODE 'none')")
    return con


def test_duckdb_reads_and_inserts(server):
    catalog = catalog_for(server)
    namespace = "duck_" + uuid.uuid4().hex[:8]
    catalog.create_namespace(namespace)
    table = catalog.create_table(f"{namespace}.people", schema=pa.schema([("id", pa.int64()), ("name", pa.string())]))
    table.append(pa.table({"id": [1, 2, 3], "name": ["ada", "bob", "cy"]}))
    con = duckdb_attached(server)
    assert con.execute(f"SELECT id, name FROM lake.{namespace}.people ORDER BY id").fetchall() == [(1, "ada"), (2, "bob"), (3, "cy")]
    con.execute(f"INSERT INTO lake.{namespace}.people VALUES (4, 'dee'), (5, 'eve')")
    back = catalog.load_table(f"{namespace}.people").scan().to_arrow().sort_by("id")
    assert back.column("name").to_pylist() == ["ada", "bob", "cy", "dee", "eve"]
    assert con.execute(f"SELECT count(*) FROM lake.{namespace}.people").fetchone()[0] == 5
