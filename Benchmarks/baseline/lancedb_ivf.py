#!/usr/bin/env python3
"""LanceDB IVF_FLAT baseline for scrapbook-bench.

Reads the vectors, queries and exact top-k ids that scrapbook-bench wrote, builds a LanceDB
table with an IVF_FLAT index of the same number of partitions, runs every query once per nprobe
(one at a time, as the Swift side does) and prints one JSON object on stdout: build time,
recall@k against the same exact answers, and p50/p99 latency per nprobe.

Data file (little endian): b"SBV1", uint32 n, uint32 dim, uint32 nq, uint32 k,
float32[n*dim] vectors (row i has id i), float32[nq*dim] queries, int64[nq*k] exact ids.
"""

import argparse
import json
import os
import struct
import sys
import tempfile
import time


def fail(message):
    print(json.dumps({"error": message}))
    sys.exit(0)


# LanceDB logs a deprecation warning per query at the default level; keep the output readable.
os.environ.setdefault("LANCEDB_LOG", "error")

try:
    import numpy as np
    import pyarrow as pa
    import lancedb
except ImportError as error:  # reported, not raised: the Swift side prints it and goes on
    fail(f"lancedb is not installed ({error}): python3 -m venv Benchmarks/.venv && "
         "Benchmarks/.venv/bin/pip install -r Benchmarks/baseline/requirements-lancedb.txt")


def read_data(path):
    with open(path, "rb") as f:
        magic = f.read(4)
        if magic != b"SBV1":
            fail(f"{path} is not a scrapbook-bench data file")
        n, dim, nq, k = struct.unpack("<4I", f.read(16))
        vectors = np.fromfile(f, dtype="<f4", count=n * dim).reshape(n, dim)
        queries = np.fromfile(f, dtype="<f4", count=nq * dim).reshape(nq, dim)
        truth = np.fromfile(f, dtype="<i8", count=nq * k).reshape(nq, k)
    return vectors, queries, truth, k


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, int(round(p / 100.0 * (len(sorted_values) - 1))))
    return sorted_values[index]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--partitions", type=int, required=True)
    parser.add_argument("--nprobes", default="1,2,4,8,16,32")
    parser.add_argument("--metric", default="cosine")
    parser.add_argument("--workdir", default=None)
    args = parser.parse_args()

    vectors, queries, truth, k = read_data(args.data)
    n, dim = vectors.shape
    workdir = args.workdir or tempfile.mkdtemp(prefix="lancedb-bench-")
    db = lancedb.connect(workdir)
    table_data = pa.table({
        "id": pa.array(np.arange(n, dtype=np.int64)),
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1), type=pa.float32()), dim),
    })
    started = time.perf_counter()
    table = db.create_table("bench", table_data, mode="overwrite")
    write_seconds = time.perf_counter() - started

    started = time.perf_counter()
    try:
        from lancedb.index import IvfFlat
        table.create_index("vector", config=IvfFlat(distance_type=args.metric, num_partitions=args.partitions))
    except ImportError:  # older lancedb: the legacy signature
        table.create_index(metric=args.metric, num_partitions=args.partitions,
                           vector_column_name="vector", index_type="IVF_FLAT")
    build_seconds = time.perf_counter() - started

    def query(q, nprobe):
        return (table.search(q, vector_column_name="vector")
                .distance_type(args.metric)
                .nprobes(nprobe)
                .limit(k)
                .select(["id"])
                .to_arrow())

    # Check that the ids mean the same thing on both sides: exact search must match the truth.
    exact = (table.search(queries[0], vector_column_name="vector").distance_type(args.metric)
             .bypass_vector_index().limit(k).select(["id"]).to_arrow())
    exact_ids = set(exact.column("id").to_pylist())
    sanity = len(exact_ids & set(truth[0].tolist())) / k

    for q in queries[: min(50, len(queries))]:  # warm-up: caches, lazy index loading
        query(q, 1)

    results = []
    for nprobe in [int(x) for x in args.nprobes.split(",") if x]:
        latencies = []
        found = 0
        for i, q in enumerate(queries):
            t0 = time.perf_counter_ns()
            answer = query(q, nprobe)
            latencies.append((time.perf_counter_ns() - t0) / 1e6)
            found += len(set(answer.column("id").to_pylist()) & set(truth[i].tolist()))
        latencies.sort()
        results.append({
            "nprobe": nprobe,
            "recall": found / (len(queries) * k),
            "p50_ms": percentile(latencies, 50),
            "p99_ms": percentile(latencies, 99),
            "mean_ms": sum(latencies) / len(latencies),
        })

    print(json.dumps({
        "lancedb_version": lancedb.__version__,
        "count": n,
        "dimension": dim,
        "partitions": args.partitions,
        "metric": args.metric,
        "write_seconds": write_seconds,
        "build_seconds": build_seconds,
        "exact_sanity_recall": sanity,
        "cpu_count": os.cpu_count(),
        "results": results,
    }))


if __name__ == "__main__":
    main()
