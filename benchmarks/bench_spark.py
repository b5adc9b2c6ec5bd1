"""pandas against Spark (local mode) on the pipeline's data-heavy stages, as the log grows.

The stages: read the events from Parquet, compute the point-in-time user and item features as
of the last tenth of the log, split each user's latest 20 % off, and write the features and the
split to Parquet. Both engines run the package's code for them (`recsys_tutorial.features` and
`recsys_tutorial.split`, `recsys_tutorial.spark`) on the same files. Each (engine, size) runs in
a fresh process, whose peak memory is sampled with every process it starts (Spark's JVM and its
Python workers) every 50 ms.

    .venv/bin/python benchmarks/bench_spark.py                  # 0.1M .. 30M events (about 25 min)
    .venv/bin/python benchmarks/bench_spark.py --sizes 100000 1000000
    .venv/bin/python benchmarks/bench_spark.py --smoke          # 10,000 events: does it run?

It writes the table to ``benchmarks/results/bench_spark.json`` (appendix A reads it there).

The worlds have one user per 10 events and one item per 100 (at most 100,000): at 10M events,
benchmarks/bench_synthetic.py's large world (1M users, 100k items); at 30M, 3M users. The 30M
world alone takes about 4 minutes to generate here. Spark runs with
``local[2]`` and a 6 GB driver. Needs the ``spark`` extra and Java 17 or 21.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pandas as pd

import record

DEFAULT_SIZES = (100_000, 300_000, 1_000_000, 3_000_000, 10_000_000, 30_000_000)
SMOKE_SIZES = (10_000,)
TEST_FRACTION = 0.2


def world_shape(n_events: int) -> tuple[int, int, int]:
    """Users, items and events of the world with ``n_events`` events."""
    return n_events // 10, min(max(n_events // 100, 1_000), 100_000), n_events


def write_world(n_events: int, folder: Path) -> dict:
    """Generate the world once and store its events and items as Parquet, with each event's ``row_id``."""
    from recsys_tutorial.data import make_synthetic

    n_users, n_items, _ = world_shape(n_events)
    world = make_synthetic(n_users, n_items, n_events, random_state=0)
    events = world.interactions.reset_index(drop=True)
    events.insert(0, "row_id", range(len(events)))
    events["event_type"] = events["event_type"].astype(str)
    events["timestamp"] = events["timestamp"].astype("datetime64[us]")  # Spark reads micro-, not nanoseconds
    items = world.items[["item_id", "release_date"]].astype({"release_date": "datetime64[us]"})
    events.to_parquet(folder / "events.parquet", index=False)
    items.to_parquet(folder / "items.parquet", index=False)
    start, end = events["timestamp"].min(), events["timestamp"].max()
    as_of = start + 0.9 * (end - start)
    return {"n_users": world.n_users, "n_items": world.n_items, "events": len(events), "as_of": str(as_of)}


# ---------------------------------------------------------------------------------------------
# The two engines (each runs in its own process)
# ---------------------------------------------------------------------------------------------


def run_pandas(folder: Path, shape: dict, out: Path) -> None:
    from recsys_tutorial import features, split

    events = pd.read_parquet(folder / "events.parquet")
    events["event_type"] = events["event_type"].astype("category")
    items = pd.read_parquet(folder / "items.parquet")
    users = features.user_features(events, shape["as_of"], n_users=shape["n_users"])
    item_table = features.item_features(events, shape["as_of"], items=items)
    train, test = split.per_user_temporal_split(events, test_fraction=TEST_FRACTION)
    users.to_parquet(out / "user_features.parquet")
    item_table.to_parquet(out / "item_features.parquet")
    test[["row_id"]].to_parquet(out / "test_rows.parquet", index=False)


def run_spark(folder: Path, shape: dict, out: Path) -> None:
    from pyspark.sql import functions as F

    from recsys_tutorial import spark as rs

    session = rs.local_session(cores=2, driver_memory="6g")
    # Parquet written by pandas holds naive times; with the session in UTC they read unchanged.
    events = session.read.parquet(str(folder / "events.parquet"))
    events = events.withColumn("timestamp", F.col("timestamp").cast("timestamp"))
    items = session.read.parquet(str(folder / "items.parquet"))
    items = items.withColumn("release_date", F.col("release_date").cast("timestamp"))
    rs.user_features(events, shape["as_of"], n_users=shape["n_users"]).write.parquet(str(out / "user_features"))
    item_table = rs.item_features(events, shape["as_of"], n_items=shape["n_items"], items=items)
    item_table.write.parquet(str(out / "item_features"))
    _, test = rs.per_user_temporal_split(events, test_fraction=TEST_FRACTION)
    test.select("row_id").write.parquet(str(out / "test_rows"))
    session.stop()


# ---------------------------------------------------------------------------------------------
# Measuring one run: wall time, and the peak memory of the process tree
# ---------------------------------------------------------------------------------------------


def _tree_rss_bytes(root: int) -> int:
    """Resident memory of ``root`` and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    total, frontier = 0, [root]
    while frontier:
        pid = frontier.pop()
        total += rss.get(pid, 0)
        frontier.extend(child for child, parent in parents.items() if parent == pid)
    return total


def measure(engine: str, folder: Path, shape: dict) -> dict:
    """Run one engine in a fresh process; its seconds and peak memory (GB) with its children."""
    with tempfile.TemporaryDirectory(dir=folder) as out:
        command = [sys.executable, __file__, "--child", engine, str(folder), json.dumps(shape), out]
        start = time.perf_counter()
        child = subprocess.Popen(command)
        peak, done = 0, threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, _tree_rss_bytes(child.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = child.wait()
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
    return {"engine": engine, "seconds": seconds, "peak_gb": peak / 1e9, "ok": code == 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="numbers of events")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    record.add_arguments(parser)
    args = parser.parse_args()
    if args.child:
        engine, folder, shape, out = args.child
        (run_pandas if engine == "pandas" else run_spark)(Path(folder), json.loads(shape), Path(out))
        return 0
    results = record.results_path("bench_spark", args)
    sizes = SMOKE_SIZES if args.smoke else args.sizes

    rows = []
    for n_events in sizes:
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            start = time.perf_counter()
            shape = write_world(n_events, folder)
            print(f"{n_events:>12,} events: world written in {time.perf_counter() - start:.1f} s", flush=True)
            for engine in ("pandas", "spark"):
                result = measure(engine, folder, shape)
                rows.append({"events": shape["events"], "users": shape["n_users"], "items": shape["n_items"], **result})
                print(f"{'':>12}  {engine:<6} {result['seconds']:7.1f} s  peak {result['peak_gb']:5.2f} GB"
                      f"{'' if result['ok'] else '  FAILED'}", flush=True)
    table = pd.DataFrame(rows)
    wide = table.pivot_table(index="events", columns="engine", values=["seconds", "peak_gb"])
    print(wide.round(2).to_string())
    checks = {
        f"{row.engine} at {row.events:,} events: finished": record.check(int(row.ok), 1, at_most=False)
        for row in table.itertuples()
    }
    parameters = {"sizes": list(sizes), "test_fraction": TEST_FRACTION, "spark": "local[2], 6 GB driver",
                  "random_state": 0}  # fmt: skip
    record.write(results, "bench_spark", args, parameters=parameters, results=rows, checks=checks)
    # Every run must finish, smoke or not: there is no bar here that only a full run can meet.
    return 0 if table["ok"].all() else 1


if __name__ == "__main__":
    sys.exit(main())
