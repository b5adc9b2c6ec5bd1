"""pandas, DuckDB, Polars and Spark (local mode) on the pipeline's data-heavy stages, as the log grows.

The stages: read the events from Parquet, compute the point-in-time user and item features as
of the last tenth of the log, split each user's latest 20 % off, and write the features and the
split to Parquet. pandas and Spark run the package's code for them (`recsys_tutorial.features`
and `recsys_tutorial.split`, `recsys_tutorial.spark`); DuckDB (one SQL query per table) and
Polars (lazy queries on its streaming engine) run the translations below. All four read the same
files, and each engine's three tables are compared with pandas': equal in every bit, but for
``log_popularity``, where another engine's logarithm may land one unit in the last place away
(appendix A, section A.2). Each (engine, size) runs in a fresh process, whose peak memory is
sampled with every process it starts (Spark's JVM and its Python workers) every 50 ms.

    .venv/bin/python benchmarks/bench_spark.py                  # 0.1M .. 30M events (about 30 min)
    .venv/bin/python benchmarks/bench_spark.py --sizes 100000 1000000
    .venv/bin/python benchmarks/bench_spark.py --smoke          # 10,000 events: does it run?

It writes the table to ``benchmarks/results/bench_spark.json`` (appendix A reads it there).

The worlds have one user per 10 events and one item per 100 (at most 100,000): at 10M events,
benchmarks/bench_synthetic.py's large world (1M users, 100k items); at 30M, 3M users. The 30M
world alone takes about 4 minutes to generate here. pandas works on one core; DuckDB and Polars
use two threads, and Spark runs with ``local[2]`` and a 6 GB driver. Needs the ``spark`` and
``bench`` extras (pyspark; duckdb and polars) and Java 17 or 21.
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
from importlib import metadata
from pathlib import Path

import numpy as np
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
    as_of = (start + 0.9 * (end - start)).floor("us")  # at the files' precision: every engine's cutoff
    return {"n_users": world.n_users, "n_items": world.n_items, "events": len(events), "as_of": str(as_of)}


# ---------------------------------------------------------------------------------------------
# The four engines (each runs in its own process and writes the same three tables)
# ---------------------------------------------------------------------------------------------

ENGINES = ("pandas", "duckdb", "polars", "spark")
THREADS = 2  # DuckDB's and Polars' threads, Spark's local[2]; pandas' NumPy kernels use one core
OUTPUTS = ("user_features", "item_features", "test_rows")
NS_PER_DAY = 86_400 * 10**9


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

    session = rs.local_session(cores=THREADS, driver_memory="6g")
    # Parquet written by pandas holds naive times; with the session in UTC they read unchanged.
    events = session.read.parquet(str(folder / "events.parquet"))
    events = events.withColumn("timestamp", F.col("timestamp").cast("timestamp"))
    items = session.read.parquet(str(folder / "items.parquet"))
    items = items.withColumn("release_date", F.col("release_date").cast("timestamp"))
    users = rs.user_features(events, shape["as_of"], n_users=shape["n_users"])
    users.write.parquet(str(out / "user_features.parquet"))
    item_table = rs.item_features(events, shape["as_of"], n_items=shape["n_items"], items=items)
    item_table.write.parquet(str(out / "item_features.parquet"))
    _, test = rs.per_user_temporal_split(events, test_fraction=TEST_FRACTION)
    test.select("row_id").write.parquet(str(out / "test_rows.parquet"))
    session.stop()


def run_duckdb(folder: Path, shape: dict, out: Path) -> None:
    """The three tables as three DuckDB queries, each written straight to Parquet (``COPY``)."""
    import duckdb

    connection = duckdb.connect(config={"threads": THREADS, "temp_directory": str(out / "duckdb-spill")})
    connection.execute(f"CREATE VIEW events AS SELECT * FROM read_parquet('{folder / 'events.parquet'}')")
    connection.execute(f"CREATE VIEW items AS SELECT * FROM read_parquet('{folder / 'items.parquet'}')")
    for table, query in (
        ("user_features", _duckdb_features("user_id", shape)),
        ("item_features", _duckdb_features("item_id", shape)),
        ("test_rows", _duckdb_split()),
    ):
        connection.execute(f"COPY ({query}) TO '{out / table}.parquet' (FORMAT parquet)")
    connection.close()


def _duckdb_features(key: str, shape: dict) -> str:
    """`features.user_features` (``key="user_id"``) or `features.item_features` as one SQL query.

    Times are compared as integer nanoseconds, and days are nanoseconds (as a double) over a
    day's, as `recsys_tutorial.features.days` computes them; each smoothed rate is written in the
    pandas code's order of operations, so that each double rounds the same way.
    """
    from recsys_tutorial.data import FUNNEL
    from recsys_tutorial.features import ACTIVITY_COLUMNS, RATING_MIDPOINT

    as_of = _nanoseconds(shape["as_of"])
    size = shape["n_users"] if key == "user_id" else shape["n_items"]
    k = "CAST(10 AS DOUBLE)"  # the features' prior_strength (pseudo-observations)

    def days_before(ns: str) -> str:
        return f"CAST({as_of} - {ns} AS DOUBLE) / CAST({NS_PER_DAY} AS DOUBLE)"

    ns = "epoch_us(timestamp) * 1000"
    per_type = ", ".join(f"count(*) FILTER (event_type = '{event}') AS n_{event}" for event in FUNNEL)
    counts = ["n_events", *(f"n_{event}" for event in FUNNEL), "n_ratings", "n_events_7d", "n_events_30d"]
    activity = {
        **{column: f"coalesce({column}, 0)" for column in counts},
        "days_since_last_event": f"CASE WHEN n_events > 0 THEN {days_before('last_ns')} "
        f"ELSE greatest({days_before('first_ns')}, 0.0) END",
        "click_through_rate": f"(coalesce(n_click, 0) + {k} * ctr) / (coalesce(n_view, 0) + {k})",
        "conversion_rate": f"(coalesce(n_purchase, 0) + {k} * conversion) / (coalesce(n_view, 0) + {k})",
        "mean_rating": f"(coalesce(rating_sum, 0.0) + {k} * global_rating) / (coalesce(n_ratings, 0) + {k})",
        "has_history": "CAST(coalesce(n_events, 0) > 0 AS BIGINT)",
    }
    assert tuple(activity) == ACTIVITY_COLUMNS
    if key == "user_id":
        extra = {
            "n_items": "coalesce(n_distinct, 0)",
            "tenure_days": f"CASE WHEN n_events > 0 THEN {days_before('first_own_ns')} ELSE 0.0 END",
            "events_per_day": "coalesce(n_events, 0) / greatest(tenure_days, 1.0)",
        }
        distinct, joined = "item_id", "ids"
    else:
        age = days_before("epoch_us(release_date) * 1000")
        extra = {
            "n_users": "coalesce(n_distinct, 0)",
            "log_popularity": "ln(1 + coalesce(n_events, 0))",  # DuckDB has no log1p
            "popularity_share": "coalesce(n_events, 0) / greatest(n_history, 1)",
            "is_released": f"CAST(coalesce({age} >= 0, false) AS BIGINT)",
            "age_days": f"CASE WHEN {age} >= 0 THEN {age} ELSE 0.0 END",
        }
        distinct, joined = "user_id", "ids LEFT JOIN items USING (item_id)"
    columns = {**activity, **extra}
    # tenure_days is read by events_per_day: a lateral alias, which DuckDB resolves in order.
    select = ",\n    ".join(f"{expression} AS {name}" for name, expression in columns.items())
    return f"""
WITH history AS (SELECT *, {ns} AS ns FROM events WHERE {ns} < {as_of}),
totals AS (
  SELECT CASE WHEN views > 0 THEN clicks / views ELSE 0.0 END AS ctr,
         CASE WHEN views > 0 THEN purchases / views ELSE 0.0 END AS conversion,
         CASE WHEN n_rated > 0 THEN rated_sum / n_rated ELSE {RATING_MIDPOINT!r} END AS global_rating,
         n_history
  FROM (SELECT count(*) FILTER (event_type = 'view') AS views,
               count(*) FILTER (event_type = 'click') AS clicks,
               count(*) FILTER (event_type = 'purchase') AS purchases,
               sum(rating) AS rated_sum, count(rating) AS n_rated, count(*) AS n_history
        FROM history)
),
log_start AS (SELECT min({ns}) AS first_ns FROM events),
per_key AS (
  SELECT {key}, count(*) AS n_events, {per_type}, count(rating) AS n_ratings,
         count(*) FILTER (ns >= {as_of - 7 * NS_PER_DAY}) AS n_events_7d,
         count(*) FILTER (ns >= {as_of - 30 * NS_PER_DAY}) AS n_events_30d,
         max(ns) AS last_ns, min(ns) AS first_own_ns, sum(rating) AS rating_sum,
         count(DISTINCT {distinct}) AS n_distinct
  FROM history GROUP BY {key}
),
ids AS (SELECT range AS {key} FROM range({size}))
SELECT {key},
    {select}
FROM {joined} LEFT JOIN per_key USING ({key}) CROSS JOIN totals CROSS JOIN log_start
ORDER BY {key}"""


def _duckdb_split() -> str:
    """`split.per_user_temporal_split`'s test rows: a window per user, ordered by time, ties by ``row_id``."""
    n_test = f"CAST(round_even(CAST('{TEST_FRACTION!r}' AS DOUBLE) * n, 0) AS BIGINT)"  # half to even, as NumPy
    return f"""
SELECT row_id FROM (
  SELECT row_id, count(*) OVER (PARTITION BY user_id) AS n,
         n - row_number() OVER (PARTITION BY user_id ORDER BY timestamp, row_id) AS rank_from_end
  FROM events
)
WHERE n > 1 AND rank_from_end < least(greatest({n_test}, 1), n - 1)"""


def run_polars(folder: Path, shape: dict, out: Path) -> None:
    """The three tables as lazy Polars queries, run by its streaming engine."""
    os.environ["POLARS_MAX_THREADS"] = str(THREADS)  # read once, when Polars is imported
    import polars as pl

    from recsys_tutorial.data import FUNNEL
    from recsys_tutorial.features import ACTIVITY_COLUMNS, RATING_MIDPOINT

    as_of, k = _nanoseconds(shape["as_of"]), 10.0  # k: the features' prior_strength
    events = pl.scan_parquet(folder / "events.parquet").with_columns(ns=pl.col("timestamp").dt.epoch("ns"))
    history = events.filter(pl.col("ns") < as_of)
    is_type = {event: pl.col("event_type") == event for event in FUNNEL}
    # The global rates, the history's size and the log's first event: one small query.
    totals = pl.collect_all(
        [history.select(views=is_type["view"].sum(), clicks=is_type["click"].sum(),
                        purchases=is_type["purchase"].sum(), rated_sum=pl.col("rating").sum(),
                        n_rated=pl.col("rating").count(), n_history=pl.len()),
         events.select(first_ns=pl.col("ns").min())],
        engine="streaming",
    )  # fmt: skip
    totals = {**totals[0].row(0, named=True), **totals[1].row(0, named=True)}
    views = totals["views"]
    ctr = totals["clicks"] / views if views else 0.0
    conversion = totals["purchases"] / views if views else 0.0
    mean_rating = totals["rated_sum"] / totals["n_rated"] if totals["n_rated"] else RATING_MIDPOINT

    # Polars divides by a constant as a multiplication by its reciprocal, which rounds differently
    # from a division for about a fifth of values (pola-rs/polars#23741). Dividing by a column that
    # holds the constant is a true division: the bits of pandas'.
    def days_before(ns: pl.Expr) -> pl.Expr:
        return (pl.lit(as_of) - ns).cast(pl.Float64) / pl.col("ns_per_day")

    def table(key: str, size: int, distinct: str) -> pl.LazyFrame:
        counts = {
            "n_events": pl.len(),
            **{f"n_{event}": is_type[event].sum() for event in FUNNEL},
            "n_ratings": pl.col("rating").count(),
            "n_events_7d": (pl.col("ns") >= as_of - 7 * NS_PER_DAY).sum(),
            "n_events_30d": (pl.col("ns") >= as_of - 30 * NS_PER_DAY).sum(),
        }
        per_key = history.group_by(key).agg(
            **counts, last_ns=pl.col("ns").max(), first_own_ns=pl.col("ns").min(),
            rating_sum=pl.col("rating").sum(), n_distinct=pl.col(distinct).n_unique(),
        )  # fmt: skip
        ids = pl.LazyFrame({key: np.arange(size, dtype=np.int64), "ns_per_day": np.full(size, float(NS_PER_DAY)),
                            "n_history": np.full(size, max(totals["n_history"], 1))})  # fmt: skip
        frame = ids.join(per_key, on=key, how="left").with_columns(
            *(pl.col(column).fill_null(0).cast(pl.Int64) for column in [*counts, "n_distinct"]),
            pl.col("rating_sum").fill_null(0.0),
        )
        has_history = pl.col("n_events") > 0
        activity = {
            **{column: pl.col(column) for column in counts},
            "days_since_last_event": pl.when(has_history).then(days_before(pl.col("last_ns")))
            .otherwise(max(float(as_of - totals["first_ns"]) / NS_PER_DAY, 0.0)),
            "click_through_rate": (pl.col("n_click") + k * ctr) / (pl.col("n_view") + k),
            "conversion_rate": (pl.col("n_purchase") + k * conversion) / (pl.col("n_view") + k),
            "mean_rating": (pl.col("rating_sum") + k * mean_rating) / (pl.col("n_ratings") + k),
            "has_history": has_history.cast(pl.Int64),
        }  # fmt: skip
        assert tuple(activity) == ACTIVITY_COLUMNS
        # The helpers (dropped once read) first: select places keyword columns after the others.
        return frame.select(key, "n_distinct", "first_own_ns", "ns_per_day", "n_history", **activity)

    users = table("user_id", shape["n_users"], "item_id")
    tenure = pl.when(pl.col("has_history") == 1).then(days_before(pl.col("first_own_ns"))).otherwise(0.0)
    users = (
        users.with_columns(n_items=pl.col("n_distinct"), tenure_days=tenure)
        .with_columns(events_per_day=pl.col("n_events") / pl.max_horizontal(pl.col("tenure_days"), 1.0))
        .drop("n_distinct", "first_own_ns", "ns_per_day", "n_history")
    )
    items = pl.scan_parquet(folder / "items.parquet").select(
        "item_id", release_ns=pl.col("release_date").dt.epoch("ns")
    )
    age = days_before(pl.col("release_ns"))
    released = age.is_not_null() & (age >= 0)
    item_table = (
        table("item_id", shape["n_items"], "user_id")
        .join(items, on="item_id", how="left")
        .with_columns(
            n_users=pl.col("n_distinct"),
            log_popularity=pl.col("n_events").log1p(),
            popularity_share=pl.col("n_events") / pl.col("n_history"),
            is_released=released.cast(pl.Int64),
            age_days=pl.when(released).then(age).otherwise(0.0),
        )
        .drop("n_distinct", "first_own_ns", "ns_per_day", "n_history", "release_ns")
    )
    # The split: the events sorted by user, time and row_id, numbered; each user's events from the
    # latest back are the last number of the user's block minus each one's. (A window, .over("user_id"),
    # would leave the streaming engine for the in-memory one.)
    ordered = events.select("row_id", "user_id", "timestamp").sort("user_id", "timestamp", "row_id")
    ordered = ordered.with_row_index("order")
    blocks = ordered.group_by("user_id").agg(n=pl.len().cast(pl.Int64), last=pl.col("order").max())
    n_test = (TEST_FRACTION * pl.col("n")).round(0, mode="half_to_even").cast(pl.Int64)
    n_test = pl.when(pl.col("n") > 1).then(pl.min_horizontal(pl.max_horizontal(n_test, 1), pl.col("n") - 1))
    rank_from_end = pl.col("last").cast(pl.Int64) - pl.col("order").cast(pl.Int64)  # 0: the user's latest
    test = ordered.join(blocks, on="user_id").filter(rank_from_end < n_test.otherwise(0)).select("row_id")
    for name, query in (("user_features", users.sort("user_id")), ("item_features", item_table.sort("item_id")),
                        ("test_rows", test)):  # fmt: skip
        query.sink_parquet(out / f"{name}.parquet", engine="streaming")


def _nanoseconds(moment: str) -> int:
    """A cutoff as integer nanoseconds since the epoch (the features compare times in nanoseconds)."""
    return int(pd.Timestamp(moment).value)


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


def measure(engine: str, folder: Path, shape: dict, out: Path) -> dict:
    """Run one engine in a fresh process, writing into ``out``; its seconds and peak memory (GB) with its children."""
    out.mkdir()
    command = [sys.executable, __file__, "--child", engine, str(folder), json.dumps(shape), str(out)]
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


# ---------------------------------------------------------------------------------------------
# Checking one engine's tables against pandas'
# ---------------------------------------------------------------------------------------------


def compare_with_pandas(expected: Path, got: Path) -> dict:
    """Whether ``got``'s three tables equal pandas' (in ``expected``), and how far ``log_popularity`` is.

    Equal means every column, its type and every value to the bit, rows matched by id; the one
    allowance is ``log_popularity``, which may differ by one unit in the last place (each engine's
    ``log1p`` is a different algorithm). Returns ``equal`` (bool), ``log_popularity_ulps`` (the
    largest difference) and, where they differ, ``difference`` (the first assertion's message).
    """
    report = {"equal": True, "log_popularity_ulps": 0, "difference": None}
    try:
        for name in OUTPUTS:
            reference, candidate = _read_table(expected, name), _read_table(got, name)
            if name == "item_features":
                ulps = np.abs(reference.pop("log_popularity").to_numpy().view(np.int64)
                              - candidate.pop("log_popularity").to_numpy(np.float64).view(np.int64))  # fmt: skip
                report["log_popularity_ulps"] = int(ulps.max(initial=0))
                assert report["log_popularity_ulps"] <= 1, f"log_popularity: {ulps.max()} units in the last place"
            pd.testing.assert_frame_equal(candidate, reference, check_exact=True, check_index_type=False,
                                          obj=name)  # fmt: skip
    except AssertionError as error:
        report.update(equal=False, difference=str(error)[:2000])
    return report


def _read_table(folder: Path, name: str) -> pd.DataFrame:
    """One output table (a file, or Spark's folder of parts), rows in id order."""
    frame = pd.read_parquet(folder / f"{name}.parquet")
    if name == "test_rows":
        return frame.sort_values("row_id", ignore_index=True)
    key = name.split("_")[0] + "_id"
    if key in frame.columns:
        frame = frame.set_index(key)
    return frame.sort_index()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="numbers of events")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    record.add_arguments(parser)
    args = parser.parse_args()
    if args.child:
        engine, folder, shape, out = args.child
        runners = {"pandas": run_pandas, "duckdb": run_duckdb, "polars": run_polars, "spark": run_spark}
        runners[engine](Path(folder), json.loads(shape), Path(out))
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
            for engine in ENGINES:  # pandas first: the others are compared with its tables
                result = measure(engine, folder, shape, folder / engine)
                if engine == "pandas":
                    same, pandas_ok = {"equal": result["ok"], "log_popularity_ulps": 0}, result["ok"]
                elif result["ok"] and pandas_ok:
                    same = compare_with_pandas(folder / "pandas", folder / engine)
                else:
                    same = {"equal": False}
                rows.append({"events": shape["events"], "users": shape["n_users"], "items": shape["n_items"],
                             **result, "equal_to_pandas": same["equal"],
                             "log_popularity_ulps": same.get("log_popularity_ulps")})  # fmt: skip
                print(f"{'':>12}  {engine:<6} {result['seconds']:7.1f} s  peak {result['peak_gb']:5.2f} GB"
                      f"{'' if result['ok'] else '  FAILED'}"
                      f"{'' if same['equal'] else '  NOT EQUAL TO PANDAS'}", flush=True)  # fmt: skip
                if same.get("difference"):
                    print(same["difference"], flush=True)
    table = pd.DataFrame(rows)
    wide = table.pivot_table(index="events", columns="engine", values=["seconds", "peak_gb"])
    print(wide.round(2).to_string())
    checks = {}
    for row in table.itertuples():
        checks[f"{row.engine} at {row.events:,} events: finished"] = record.check(int(row.ok), 1, at_most=False)
        if row.engine != "pandas":
            checks[f"{row.engine} at {row.events:,} events: the same tables as pandas"] = record.check(
                int(row.equal_to_pandas), 1, at_most=False
            )
    parameters = {"sizes": list(sizes), "test_fraction": TEST_FRACTION, "engines": list(ENGINES),
                  "spark": f"local[{THREADS}], 6 GB driver", "duckdb": f"{THREADS} threads",
                  "polars": f"{THREADS} threads, streaming engine", "pandas": "one process, NumPy kernels",
                  "versions": {name: metadata.version(name) for name in ("duckdb", "polars", "pyarrow")},
                  "random_state": 0}  # fmt: skip
    record.write(results, "bench_spark", args, parameters=parameters, results=rows, checks=checks)
    # Every run must finish and agree with pandas, smoke or not: no bar here needs a full run.
    return 0 if all(check["ok"] for check in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
