#!/usr/bin/env python3
"""Table scan benchmark: `floe table scan` against pyiceberg (pyarrow's C++ Parquet reader) and
DuckDB's iceberg extension, on the same table in the same Floe, in one run.

A Floe server (the given binary) is started on a free 127.0.0.1 port over a fresh directory; pyiceberg
creates `bench.events` (id long, name string, amount double, day date, ts timestamptz; partitioned
by day(ts); zstd Parquet as pyiceberg writes it) from `--rows` rows in four appends. Each reader then
reads it `--repeat` times (median reported):

  * full scan: every row and column, rendered (Floe: CSV to /dev/null; DuckDB: COPY … TO /dev/null
    as CSV; pyiceberg: scan().to_arrow(), which decodes but renders nothing — the fastest case);
  * filtered: `id < 1000` (one file group's rows; shows pruning by column statistics);
  * projected: the `amount` column only, as CSV;
  * ingest: the same rows as a CSV file loaded into a new table (`floe ingest`; DuckDB's CREATE
    TABLE … AS SELECT from read_csv through its iceberg extension; pyiceberg: pyarrow's CSV reader,
    then create and append);
  * GROUP BY day with count, sum and avg (`floe query`; DuckDB; pyiceberg scan + Arrow group_by).

    python3 scripts/bench/table_scan_bench.py [--binary .build/release/floe] [--rows 1000000] [--repeat 3] [--markdown F]
"""
import argparse, datetime, glob, os, platform, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../Tests/Integration"))
os.environ.setdefault("FLOE_BINARY", "")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/release/floe")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600, help="seconds any one measurement may take")
    parser.add_argument("--markdown")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)
    os.environ["FLOE_BINARY"] = binary
    import duckdb
    import pyarrow as pa
    from floe_harness import ROOT_PASSWORD, ROOT_USER, new_server
    from test_catalog import catalog_for
    from test_duckdb import duckdb_attached

    server = new_server()
    try:
        catalog = catalog_for(server)
        catalog.create_namespace("bench")
        schema = pa.schema([("id", pa.int64()), ("name", pa.string()), ("amount", pa.float64()), ("day", pa.date32()),
                            ("ts", pa.timestamp("us", tz="UTC"))])
        from pyiceberg.partitioning import PartitionField, PartitionSpec
        from pyiceberg.transforms import DayTransform
        table = catalog.create_table("bench.events", schema=schema)
        with table.update_spec() as update:
            update.add_field("ts", DayTransform(), "ts_day")
        table = catalog.load_table("bench.events")
        start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
        per = args.rows // 4
        for part in range(4):
            ids = range(part * per, (part + 1) * per)
            table.append(pa.table({
                "id": pa.array(ids, pa.int64()), "name": [f"name-{i % 5000}" for i in ids], "amount": [i * 0.25 for i in ids],
                "day": [datetime.date(2026, 1, 1) + datetime.timedelta(days=i % 30) for i in ids],
                "ts": [start + datetime.timedelta(seconds=i * 7) for i in ids]}, schema=schema))
            table = catalog.load_table("bench.events")
        rows = per * 4
        env = dict(os.environ, FLOE_CONFIG_DIR=tempfile.mkdtemp(prefix="floe-bench-cli-"),
                   FLOE_ALIAS_B=f"{server.endpoint},{ROOT_USER},{ROOT_PASSWORD},{server.catalog_endpoint}")

        def floe(*extra):
            def run():
                subprocess.run([binary, "table", "scan", "b/lakehouse/bench.events", "--format", "csv", *extra], env=env, check=True,
                               stdout=subprocess.DEVNULL, timeout=args.timeout)
            return run

        con = duckdb_attached(server)

        def duck(sql):
            return lambda: con.execute(sql).fetchall()

        def pyice(**kw):
            return lambda: catalog.load_table("bench.events").scan(**kw).to_arrow()

        workloads = [
            ("full scan", floe(), duck("COPY (SELECT * FROM lake.bench.events) TO '/dev/null' (FORMAT CSV)"), pyice()),
            ("filtered id < 1000", floe("--where", "id < 1000"), duck("COPY (SELECT * FROM lake.bench.events WHERE id < 1000) TO '/dev/null' (FORMAT CSV)"),
             pyice(row_filter="id < 1000")),
            ("projected amount", floe("--columns", "amount"), duck("COPY (SELECT amount FROM lake.bench.events) TO '/dev/null' (FORMAT CSV)"),
             pyice(selected_fields=("amount",))),
        ]
        # Landing and querying: `floe ingest` of a CSV file against DuckDB's CREATE TABLE … AS
        # SELECT through its iceberg extension and pyiceberg's append of pyarrow's CSV reading; an
        # aggregate with `floe query` against DuckDB on the bench table.
        import pyarrow.csv as pacsv
        csv_path = os.path.join(tempfile.mkdtemp(prefix="floe-bench-csv-"), "events.csv")
        with open(csv_path, "w") as out:
            out.write("id,name,amount,day\n")
            for i in range(rows):
                out.write(f"{i},name-{i % 5000},{i * 0.25:.2f},2026-01-{1 + i % 28:02d}\n")
        runs = {"n": 0}

        def fresh(prefix):
            runs["n"] += 1
            return f"{prefix}{runs['n']}"

        def floe_ingest():
            subprocess.run([binary, "ingest", csv_path, f"b/lakehouse/bench.{fresh('fi')}", "--quiet"], env=env, check=True,
                           stdout=subprocess.DEVNULL, timeout=args.timeout)

        def duck_ingest():
            con.execute(f"CREATE TABLE lake.bench.{fresh('di')} AS SELECT * FROM read_csv('{csv_path}')")

        def pyice_ingest():
            data = pacsv.read_csv(csv_path)
            catalog.create_table(f"bench.{fresh('pi')}", schema=data.schema).append(data)

        def floe_query(sql):
            return lambda: subprocess.run([binary, "query", sql, "--alias", "b", "--format", "csv"], env=env, check=True,
                                          stdout=subprocess.DEVNULL, timeout=args.timeout)

        workloads += [
            ("ingest CSV (create + load)", floe_ingest, duck_ingest, pyice_ingest),
            ("GROUP BY day: count, sum, avg", floe_query("SELECT day, count(*), sum(amount), avg(amount) FROM lakehouse.bench.events GROUP BY day"),
             duck("COPY (SELECT day, count(*), sum(amount), avg(amount) FROM lake.bench.events GROUP BY day) TO '/dev/null' (FORMAT CSV)"),
             lambda: catalog.load_table("bench.events").scan(selected_fields=("day", "amount")).to_arrow().group_by("day").aggregate([("amount", "count"), ("amount", "sum"), ("amount", "mean")])),
        ]
        results = []
        for name, *runners in workloads:
            timings = []
            for runner in runners:
                samples = []
                for _ in range(args.repeat):
                    began = time.perf_counter()
                    runner()
                    samples.append(time.perf_counter() - began)
                timings.append(statistics.median(samples))
            results.append((name, timings))
        lines = [
            f"### Table scan, {datetime.date.today().isoformat()} — {rows:,} rows, {platform.machine()}, {os.cpu_count()} cores",
            "", f"`python3 scripts/bench/table_scan_bench.py --binary {args.binary} --rows {args.rows} --repeat {args.repeat}` "
            "(median seconds; rows/s of the full scan in brackets)", "",
            "| workload | Floe (table scan, ingest, query) | DuckDB iceberg | pyiceberg (pyarrow) | Floe ÷ DuckDB | Floe ÷ pyiceberg |", "|---|---|---|---|---|---|"]
        for name, (f, d, p) in results:
            cell = lambda t: f"{t:.2f} s" + (f" ({rows / t:,.0f}/s)" if name == "full scan" else "")
            lines.append(f"| {name} | {cell(f)} | {cell(d)} | {cell(p)} | {d / f:.2f} | {p / f:.2f} |")
        text = "\n".join(lines)
        print(text)
        if args.markdown:
            with open(args.markdown, "a") as out:
                out.write("\n" + text + "\n")
    finally:
        server.stop()
        server.cleanup()


if __name__ == "__main__":
    main()
