#!/usr/bin/env python3
"""Multipart upload throughput and listing speed of a Floe server.

1. One 1 GiB multipart upload as 64 parts of 16 MiB, 8 parts in flight at once
   (8 worker processes): MiB/s and the server's peak RSS.
2. 100,000 keys in 100 prefixes (created with 16 parallel PUT streams), then a flat
   ListObjectsV2 over all of them at 1000 keys per page and a delimiter listing that rolls
   them up: time and keys/s.

    python3 scripts/bench/multipart_list_bench.py [--binary .build/release/floe] [--keys 100000]
"""
import argparse
import http.client
import json
import multiprocessing
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from s3_bench import peak_rss_kib, request, reset_peak, start_server, stop_server  # noqa: E402

PART = 16 << 20


def upload_part(args):
    port, upload_id, number = args
    block = os.urandom(1 << 20)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    _, etag = request(conn, port, "PUT", "/bench/mpu", (block for _ in range(PART >> 20)), PART,
                      query=f"partNumber={number}&uploadId={upload_id}", collect=True)
    conn.close()
    return number, etag


def put_keys(args):
    port, start, count = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    for i in range(start, start + count):
        request(conn, port, "PUT", f"/bench/list/p{i % 100:03d}/k{i:07d}", iter([]), 0)
    conn.close()
    return count


def list_all(port, delimiter: bool):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    token, keys, prefixes, pages = None, 0, 0, 0
    started = time.monotonic()
    while pages < 10_000:
        query = "list-type=2&max-keys=1000&prefix=list%2F" + ("&delimiter=%2F" if delimiter else "")
        if token:
            query += "&continuation-token=" + urllib.parse.quote(token, safe="")
        body, _ = request(conn, port, "GET", "/bench", query=query, collect=True)
        text = body.decode()
        keys += text.count("<Key>")
        prefixes += text.count("<CommonPrefixes>")
        pages += 1
        match = re.search(r"<NextContinuationToken>([^<]+)</NextContinuationToken>", text)
        if not match:
            break
        token = match.group(1)
    elapsed = time.monotonic() - started
    conn.close()
    return {"delimiter": delimiter, "keys": keys, "common_prefixes": prefixes, "pages": pages,
            "seconds": round(elapsed, 3), "keys_per_s": round((keys + prefixes) / elapsed, 1)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build-release/release/floe")
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--parts", type=int, default=64)
    args = parser.parse_args()
    server, port, data = start_server(args.binary)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        body, _ = request(conn, port, "POST", "/bench/mpu", iter([]), 0, query="uploads=", collect=True)
        upload_id = re.search(rb"<UploadId>([^<]+)</UploadId>", body).group(1).decode()
        reset_peak(server.pid)
        rss_before, _ = peak_rss_kib(server.pid)
        started = time.monotonic()
        with multiprocessing.Pool(8) as pool:
            etags = dict(pool.map(upload_part, [(port, upload_id, n) for n in range(1, args.parts + 1)]))
        xml = "<CompleteMultipartUpload>" + "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>{etags[n]}</ETag></Part>" for n in sorted(etags)) + "</CompleteMultipartUpload>"
        request(conn, port, "POST", "/bench/mpu", iter([xml.encode()]), len(xml), query=f"uploadId={upload_id}", collect=True)
        elapsed = time.monotonic() - started
        _, peak = peak_rss_kib(server.pid)
        size = args.parts * PART
        print(json.dumps({"multipart": {"size_mib": size >> 20, "parts": args.parts, "part_mib": PART >> 20, "parallel": 8,
                                        "seconds": round(elapsed, 2), "mib_per_s": round(size / elapsed / 2**20, 1),
                                        "rss_before_mib": round(rss_before / 1024, 1), "peak_rss_mib": round(peak / 1024, 1)}}), flush=True)
        conn.close()

        started = time.monotonic()
        per = args.keys // 16
        with multiprocessing.Pool(16) as pool:
            created = sum(pool.map(put_keys, [(port, w * per, per) for w in range(16)]))
        print(json.dumps({"created_keys": created, "seconds": round(time.monotonic() - started, 1)}), flush=True)
        reset_peak(server.pid)
        print(json.dumps({"list": list_all(port, delimiter=False)}), flush=True)
        print(json.dumps({"list": list_all(port, delimiter=True)}), flush=True)
        _, peak = peak_rss_kib(server.pid)
        print(json.dumps({"listing_peak_rss_mib": round(peak / 1024, 1)}), flush=True)
    finally:
        stop_server(server, data)


if __name__ == "__main__":
    main()
