"""The pipeline's data-heavy stages on Apache Spark: features, split, implicit ALS, top-k, metrics.

Each function is the Spark twin of a function elsewhere in the package, and returns the same
numbers (the tests check it):

* `user_features`, `item_features` — `recsys_tutorial.features`, as of a cutoff, in Spark SQL;
* `per_user_temporal_split` — `recsys_tutorial.split.per_user_temporal_split`, by a window;
* `fit_als` — implicit ALS with Spark MLlib (Hu, Koren & Volinsky 2008), like
  `recsys_tutorial.models.ALS` but with MLlib's regularisation, λ · n_u per user (ALS-WR,
  Zhou et al. 2008);
* `recommend_all` — every user's top k with seen items removed, the item factors broadcast to
  every task;
* `ranking_metrics` — per-user NDCG@k and recall@k as in `recsys_tutorial.evaluation`.

Spark is optional: this module needs ``pip install -e ".[spark]"`` and Java 17 or 21, and nothing
else in the package imports it. `local_session` starts Spark inside this machine (``local[n]``);
the same code runs unchanged on a cluster's session.

Events follow the package's schema (``user_id``, ``item_id``, ``timestamp``, ``event_type``,
``rating``) plus ``row_id``, their position in the original log, which breaks ties in time the
way the pandas split does. Timestamps travel as microseconds since the epoch, so no time zone,
the session's or the machine's, can shift them.
"""

from __future__ import annotations

import atexit
import contextlib
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

try:
    from pyspark.ml.recommendation import ALS as _MLlibALS
    from pyspark.ml.recommendation import ALSModel
    from pyspark.sql import DataFrame, SparkSession, Window
    from pyspark.sql import functions as F
    from pyspark.sql import types as T
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "recsys_tutorial.spark needs pyspark: install the extra with pip install -e \".[spark]\" "
        "(and Java 17 or 21; see the README)"
    ) from error

from .features import FUNNEL, RATING_MIDPOINT

__all__ = [
    "java_version",
    "local_session",
    "to_spark",
    "user_features",
    "item_features",
    "per_user_temporal_split",
    "fit_als",
    "recommend_all",
    "ranking_metrics",
]

_NANOS_PER_DAY = 86_400_000_000_000.0
SUPPORTED_JAVA = (17, 21)


# ---------------------------------------------------------------------------------------------
# The session
# ---------------------------------------------------------------------------------------------


def java_version(java: str | None = None) -> int | None:
    """The major version of ``java`` (default: the one Spark would start, ``JAVA_HOME``'s, else the
    PATH's), or None where there is none or it does not say.

    >>> java_version("/no/such/java") is None
    True
    """
    if java is None:
        home = os.environ.get("JAVA_HOME")
        java = os.path.join(home, "bin", "java") if home else shutil.which("java")
    if not java or not os.path.exists(java):
        return None
    try:
        banner = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
    except (OSError, subprocess.SubprocessError):
        return None
    return _java_major_version(banner)


def local_session(
    cores: int = 2, driver_memory: str = "4g", app_name: str = "recsys-tutorial", log_file: str | Path | None = None
) -> SparkSession:
    """A Spark session on this machine: ``cores`` worker threads in one JVM.

    Settings that matter on one machine: as many shuffle partitions as twice the cores (Spark's
    default of 200 suits a cluster, and costs seconds of scheduling here), no web UI or console
    progress bar, UTC as the session's time zone, Arrow for pandas conversions, and this
    Python (with its packages) in the workers that run Python code.

    The JVM's own console output (start-up banners, log lines with the time, native-library
    warnings) goes to ``log_file`` (default: ``recsys-tutorial-spark.log`` in the temporary
    folder), not into the notebook; errors still reach Python as exceptions.

    Iterative jobs (MLlib's ALS) grow a lineage one step per iteration, and a task that carries a
    long lineage can overflow a thread's stack while it is deserialised, which ends the JVM. The
    session therefore gets a checkpoint folder (a new temporary folder, removed when Python
    exits), where ALS cuts its lineage every 10 iterations, and 16 MB thread stacks.
    """
    version = java_version()
    if version not in SUPPORTED_JAVA:
        found = "no java on PATH or in JAVA_HOME" if version is None else f"Java {version}"
        raise RuntimeError(
            f"local_session: Spark needs Java 17 or 21, found {found}. On Debian/Ubuntu: "
            "apt-get install openjdk-17-jre-headless; elsewhere install a JDK 17 (e.g. Eclipse "
            "Temurin) and set JAVA_HOME to it."
        )
    # PySpark warns on every conversion that it has not been certified with pandas 3; the
    # conversions this module makes (numbers and microsecond integers) are checked by its tests.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    warnings.filterwarnings("ignore", message="The copy keyword is deprecated", module="pyspark")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers run this interpreter and its packages
    log_file = Path(log_file) if log_file is not None else Path(tempfile.gettempdir()) / "recsys-tutorial-spark.log"
    builder = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", str(2 * cores))
        .config("spark.default.parallelism", str(2 * cores))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", "-Xss16m")
    )
    # The JVM starts here and inherits this process's stdout and stderr, for good: point them at
    # the log while it starts, then give them back.
    with open(log_file, "ab") as log, _console_to(log.fileno()):
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    if spark.sparkContext.getCheckpointDir() is None:
        checkpoints = tempfile.mkdtemp(prefix="recsys-tutorial-spark-checkpoints-")
        atexit.register(shutil.rmtree, checkpoints, ignore_errors=True)
        spark.sparkContext.setCheckpointDir(checkpoints)
    return spark


@contextlib.contextmanager
def _console_to(fd: int):
    """Send this process's (and its new children's) file descriptors 1 and 2 to ``fd`` for a while."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def to_spark(spark: SparkSession, frame: pd.DataFrame, row_id: bool = False) -> DataFrame:
    """A pandas frame as a Spark DataFrame: datetimes at microsecond precision, categories as
    strings, NaN as SQL null (Spark counts a NaN as a value); ``row_id`` adds each row's position.

    Appendix A ships the synthetic world's events with ``to_spark(spark, world.interactions, row_id=True)``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"to_spark: expected a pandas DataFrame, got {type(frame).__name__}")
    plain = frame.reset_index(drop=True).copy()
    datetimes = [c for c in plain.columns if pd.api.types.is_datetime64_any_dtype(plain[c])]
    for column in datetimes:
        if getattr(plain[column].dt, "tz", None) is not None:
            raise ValueError(f"to_spark: column '{column}' is time-zone aware; the package's times are naive UTC")
        micros = plain[column].astype("datetime64[us]").astype("int64")
        plain[column] = micros.where(plain[column].notna(), other=None).astype("Int64")
    for column in plain.columns:
        if isinstance(plain[column].dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(plain[column]):
            plain[column] = plain[column].astype(object).where(plain[column].notna(), None)
    if row_id:
        plain.insert(0, "row_id", np.arange(len(plain), dtype=np.int64))
    out = spark.createDataFrame(plain)
    for column in out.columns:
        if column in datetimes:
            out = out.withColumn(column, F.timestamp_micros(F.col(column)))
        elif isinstance(out.schema[column].dataType, (T.DoubleType, T.FloatType)):
            out = out.withColumn(column, F.nanvl(F.col(column), F.lit(None).cast("double")))
    return out


# ---------------------------------------------------------------------------------------------
# Point-in-time features (recsys_tutorial.features, column for column)
# ---------------------------------------------------------------------------------------------


def user_features(events: DataFrame, as_of, n_users: int, prior_strength: float = 10.0) -> DataFrame:
    """Per-user features from events before ``as_of``: one row per user id ``0..n_users-1``.

    The columns, their order and their values are those of `recsys_tutorial.features.user_features`.
    """
    history, as_of_us = _history(events, as_of, "user_features")
    frame = _activity_block(events, history, "user_id", n_users, as_of_us, prior_strength)
    per_user = history.groupBy("user_id").agg(
        F.countDistinct("item_id").alias("n_items"), F.min("timestamp").alias("_first")
    )
    tenure = F.when(F.col("has_history") == 1, _days_since(as_of_us, F.col("_first"))).otherwise(F.lit(0.0))
    return (
        frame.join(per_user, "user_id", "left")
        .withColumn("n_items", F.coalesce("n_items", F.lit(0)).cast("long"))
        .withColumn("tenure_days", tenure)
        .withColumn("events_per_day", F.col("n_events") / F.greatest(F.col("tenure_days"), F.lit(1.0)))
        .drop("_first")
        .orderBy("user_id")
    )


def item_features(
    events: DataFrame, as_of, n_items: int, items: DataFrame | None = None, prior_strength: float = 10.0
) -> DataFrame:
    """Per-item features from events before ``as_of``, as `recsys_tutorial.features.item_features`.

    ``items`` (``item_id``, ``release_date``) adds ``is_released`` and ``age_days``.
    """
    history, as_of_us = _history(events, as_of, "item_features")
    frame = _activity_block(events, history, "item_id", n_items, as_of_us, prior_strength)
    n_history = max(history.count(), 1)
    distinct_users = history.groupBy("item_id").agg(F.countDistinct("user_id").alias("n_users"))
    frame = (
        frame.join(distinct_users, "item_id", "left")
        .withColumn("n_users", F.coalesce("n_users", F.lit(0)).cast("long"))
        .withColumn("log_popularity", F.log1p(F.col("n_events").cast("double")))
        .withColumn("popularity_share", F.col("n_events") / F.lit(float(n_history)))
    )
    if items is not None and "release_date" in items.columns:
        age = _days_since(as_of_us, F.col("release_date"))
        released = age.isNotNull() & (age >= 0)
        frame = (
            frame.join(items.select("item_id", "release_date"), "item_id", "left")
            .withColumn("is_released", F.when(released, 1).otherwise(0).cast("long"))
            .withColumn("age_days", F.when(released, age).otherwise(F.lit(0.0)))
            .drop("release_date")
        )
    return frame.orderBy("item_id")


def _activity_block(events, history, key, size, as_of_us, prior_strength) -> DataFrame:
    """Counts, recency and smoothed rates: the activity block of ``recsys_tutorial.features.AsOfFeatures``."""
    if not (math.isfinite(prior_strength) and prior_strength > 0):
        raise ValueError(f"prior_strength must be a finite number > 0 (pseudo-observations), got {prior_strength!r}")
    age_days = _days_since(as_of_us, F.col("timestamp"))
    counts = [F.count("*").alias("n_events")]
    counts += [F.count(F.when(F.col("event_type") == event, 1)).alias(f"n_{event}") for event in FUNNEL]
    counts += [
        F.count("rating").alias("n_ratings"),
        F.count(F.when(age_days <= 7, 1)).alias("n_events_7d"),
        F.count(F.when(age_days <= 30, 1)).alias("n_events_30d"),
        F.max("timestamp").alias("_last"),
        F.coalesce(F.sum("rating"), F.lit(0.0)).alias("_rating_sum"),
    ]
    per_key = history.groupBy(key).agg(*counts)

    # The global rates and the history's length: one small aggregate, brought to the driver.
    totals = history.agg(
        F.count(F.when(F.col("event_type") == "view", 1)).alias("views"),
        F.count(F.when(F.col("event_type") == "click", 1)).alias("clicks"),
        F.count(F.when(F.col("event_type") == "purchase", 1)).alias("purchases"),
        F.sum("rating").alias("rating_sum"),
        F.count("rating").alias("n_ratings"),
    ).first()
    first_event = events.agg(F.min(F.unix_micros("timestamp"))).first()[0]
    history_days = 0.0 if first_event is None else max(((as_of_us - first_event) * 1000) / _NANOS_PER_DAY, 0.0)
    global_ctr = totals["clicks"] / totals["views"] if totals["views"] else 0.0
    global_conversion = totals["purchases"] / totals["views"] if totals["views"] else 0.0
    global_rating = totals["rating_sum"] / totals["n_ratings"] if totals["n_ratings"] else RATING_MIDPOINT

    count_columns = ["n_events", *(f"n_{event}" for event in FUNNEL), "n_ratings", "n_events_7d", "n_events_30d"]
    frame = events.sparkSession.range(size).withColumnRenamed("id", key).join(per_key, key, "left")
    for column in count_columns:
        frame = frame.withColumn(column, F.coalesce(column, F.lit(0)).cast("long"))
    has_history = F.col("n_events") > 0
    prior = F.lit(float(prior_strength))

    def smoothed(successes: str, trials: str, global_rate: float):
        # (successes + k · global) / (trials + k), in the order of the pandas code: same bits.
        return (F.col(successes) + prior * F.lit(global_rate)) / (F.col(trials) + prior)

    return frame.select(
        key,
        *count_columns,
        F.when(has_history, _days_since(as_of_us, F.col("_last")))
        .otherwise(F.lit(history_days))
        .alias("days_since_last_event"),
        smoothed("n_click", "n_view", global_ctr).alias("click_through_rate"),
        smoothed("n_purchase", "n_view", global_conversion).alias("conversion_rate"),
        ((F.coalesce("_rating_sum", F.lit(0.0)) + prior * F.lit(global_rating)) / (F.col("n_ratings") + prior))
        .alias("mean_rating"),
        has_history.cast("long").alias("has_history"),
    )


def _history(events: DataFrame, as_of, caller: str) -> tuple[DataFrame, int]:
    """The events strictly before ``as_of``, and ``as_of`` in microseconds since the epoch."""
    if not isinstance(events, DataFrame):
        raise ValueError(f"{caller}: expected a Spark DataFrame (see to_spark), got {type(events).__name__}")
    missing = [c for c in ("user_id", "item_id", "timestamp", "event_type", "rating") if c not in events.columns]
    if missing:
        raise ValueError(f"{caller}: events is missing column(s) {missing}")
    if as_of is None:
        raise ValueError(f"{caller}: as_of is required (features are computed as of a cutoff)")
    as_of_us = int(pd.Timestamp(as_of).value) // 1000  # .value is in nanoseconds
    return events.filter(F.unix_micros("timestamp") < F.lit(as_of_us)), as_of_us


def _days_since(as_of_us: int, timestamp):
    """Days from ``timestamp`` to ``as_of`` as pandas computes them: nanoseconds (as a double) / a day's."""
    return ((F.lit(as_of_us) - F.unix_micros(timestamp)) * F.lit(1000)).cast("double") / F.lit(_NANOS_PER_DAY)


# ---------------------------------------------------------------------------------------------
# The per-user temporal split
# ---------------------------------------------------------------------------------------------


def per_user_temporal_split(
    events: DataFrame, test_fraction: float = 0.2, min_test: int = 1
) -> tuple[DataFrame, DataFrame]:
    """Each user's latest ``round(test_fraction · n_u)`` events go to test, clipped to
    ``min_test .. n_u − 1``, as `recsys_tutorial.split.per_user_temporal_split`.

    One window per user ordered by time, ties by ``row_id``: a shuffle by user, then a sort
    within each user. Rounding is half-to-even, as NumPy's.
    """
    if "row_id" not in events.columns:
        raise ValueError(
            "per_user_temporal_split: events needs a 'row_id' column (to_spark(..., row_id=True)) to break ties in time"
        )
    if not isinstance(test_fraction, (int, float)) or not 0 < test_fraction < 1:
        raise ValueError(f"per_user_temporal_split: fractions must lie strictly between 0 and 1, got {test_fraction!r}")
    if not isinstance(min_test, int) or min_test < 1:
        raise ValueError(f"per_user_temporal_split: min_test must be an integer >= 1, got {min_test!r}")
    by_user = Window.partitionBy("user_id")
    in_order = by_user.orderBy("timestamp", "row_id")
    n_events = F.count("*").over(by_user)
    rank_from_end = n_events - F.row_number().over(in_order)  # 0 = the user's latest event
    n_test = F.bround(F.lit(float(test_fraction)) * n_events, 0).cast("long")
    n_test = F.when(n_events > min_test, F.least(F.greatest(n_test, F.lit(min_test)), n_events - 1)).otherwise(0)
    marked = events.withColumn("_in_test", rank_from_end < n_test)
    return marked.filter(~F.col("_in_test")).drop("_in_test"), marked.filter(F.col("_in_test")).drop("_in_test")


# ---------------------------------------------------------------------------------------------
# Implicit ALS (MLlib), and every user's top k
# ---------------------------------------------------------------------------------------------


def fit_als(
    train: DataFrame,
    n_factors: int = 64,
    n_epochs: int = 15,
    reg: float = 0.01,
    alpha: float = 1.0,
    random_state: int = 0,
    n_blocks: int | None = None,
) -> ALSModel:
    """Implicit ALS with Spark MLlib on (user, item, number of interactions) triples.

    The confidence is ``1 + alpha · r_ui`` as in `recsys_tutorial.models.ALS`. MLlib multiplies
    ``reg`` by each user's (and item's) number of items (users), so the same λ regularises far
    more than in the package's ALS; match them by ``reg_mllib ≈ reg / typical n_u``.
    ``n_blocks`` (default: the shuffle partitions) is how many blocks each factor matrix is cut into.
    """
    for name, value in (("n_factors", n_factors), ("n_epochs", n_epochs)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"fit_als: {name} must be a positive integer, got {value!r}")
    if not (reg >= 0 and alpha > 0):
        raise ValueError(f"fit_als: reg must be >= 0 and alpha > 0, got reg={reg!r}, alpha={alpha!r}")
    n_blocks = n_blocks or int(train.sparkSession.conf.get("spark.sql.shuffle.partitions"))
    counts = train.groupBy(
        F.col("user_id").cast("int").alias("user_id"), F.col("item_id").cast("int").alias("item_id")
    ).agg(F.count("*").cast("float").alias("interactions"))
    als = _MLlibALS(
        rank=n_factors,
        maxIter=n_epochs,
        regParam=reg,
        alpha=alpha,
        implicitPrefs=True,
        userCol="user_id",
        itemCol="item_id",
        ratingCol="interactions",
        seed=random_state,
        numUserBlocks=n_blocks,
        numItemBlocks=n_blocks,
        coldStartStrategy="drop",
    )
    return als.fit(counts)


def recommend_all(model: ALSModel, train: DataFrame, k: int = 10, exclude_seen: bool = True) -> DataFrame:
    """Every user's top ``k`` items: ``user_id``, ``rank`` (1..k), ``item_id``, ``score``.

    The item factors go to every task once (a broadcast); the users stream past them in
    batches, each scored against all items with one matrix product, its seen items set to −∞.
    Ties in score go to the lower item id. Users with fewer than ``k`` unseen items get fewer rows.
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"recommend_all: k must be a positive integer, got {k!r}")
    spark = train.sparkSession
    items = model.itemFactors.orderBy("id").toPandas()
    item_ids = items["id"].to_numpy(dtype=np.int64)
    item_matrix = spark.sparkContext.broadcast(np.stack(items["features"].to_numpy()).astype(np.float64))
    users = model.userFactors.select(F.col("id").alias("user_id"), "features")
    if exclude_seen:
        seen = train.groupBy(F.col("user_id").cast("int").alias("user_id")).agg(
            F.collect_set(F.col("item_id").cast("long")).alias("seen")
        )
        users = users.join(seen, "user_id", "left")
    else:
        users = users.withColumn("seen", F.lit(None).cast("array<long>"))
    position = {item: index for index, item in enumerate(item_ids)}

    def top_k(batches):
        for batch in batches:
            scores = np.stack(batch["features"].to_numpy()).astype(np.float64) @ item_matrix.value.T
            for row, seen_items in enumerate(batch["seen"]):
                if seen_items is not None and len(seen_items):
                    scores[row, [position[i] for i in seen_items if i in position]] = -np.inf
            n = min(k, scores.shape[1])
            best = np.argpartition(-scores, n - 1, axis=1)[:, :n]
            best_scores = np.take_along_axis(scores, best, axis=1)
            order = np.lexsort((item_ids[best], -best_scores), axis=1)  # by score, ties by item id
            best, best_scores = np.take_along_axis(best, order, axis=1), np.take_along_axis(best_scores, order, axis=1)
            keep = np.isfinite(best_scores)
            yield pd.DataFrame(
                {
                    "user_id": np.repeat(batch["user_id"].to_numpy(dtype=np.int64), n)[keep.ravel()],
                    "rank": np.tile(np.arange(1, n + 1, dtype=np.int64), len(batch))[keep.ravel()],
                    "item_id": item_ids[best][keep],
                    "score": best_scores[keep],
                }
            )

    schema = "user_id long, rank long, item_id long, score double"
    return users.mapInPandas(top_k, schema)


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------


def ranking_metrics(
    recommendations: DataFrame, test: DataFrame, train: DataFrame | None = None, k: int = 10
) -> DataFrame:
    """Per-user ``ndcg`` and ``recall`` at ``k`` (binary relevance), as `recsys_tutorial.evaluation`.

    The users are those with a relevant item: one they interacted with in ``test`` and, with
    ``train``, not in training. A user with no recommendations scores 0. The ideal DCG of each
    user comes from a k-row table of cumulative discounts, joined by broadcast.
    Returns ``user_id``, ``n_relevant``, ``hits``, ``ndcg``, ``recall``.
    """
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"ranking_metrics: k must be a positive integer, got {k!r}")
    missing = [c for c in ("user_id", "rank", "item_id") if c not in recommendations.columns]
    if missing:
        raise ValueError(
            f"ranking_metrics: recommendations is missing column(s) {missing}; expected user_id, rank, item_id"
        )
    relevant = test.select("user_id", "item_id").distinct()
    if train is not None:
        relevant = relevant.join(train.select("user_id", "item_id").distinct(), ["user_id", "item_id"], "left_anti")
    n_relevant = relevant.groupBy("user_id").agg(F.count("*").alias("n_relevant"))
    found = (
        recommendations.filter(F.col("rank") <= k)
        .join(relevant, ["user_id", "item_id"])
        .groupBy("user_id")
        .agg(F.count("*").alias("hits"), F.sum(1.0 / F.log2(F.col("rank") + 1.0)).alias("dcg"))
    )
    cumulative = np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))
    ideal = recommendations.sparkSession.createDataFrame(
        pd.DataFrame({"_ideal_length": np.arange(1, k + 1, dtype=np.int64), "ideal_dcg": cumulative})
    )
    return (
        n_relevant.join(found, "user_id", "left")
        .fillna({"hits": 0, "dcg": 0.0})
        .withColumn("_ideal_length", F.least(F.col("n_relevant"), F.lit(k)))
        .join(F.broadcast(ideal), "_ideal_length")
        .select(
            "user_id",
            "n_relevant",
            F.col("hits").cast("long").alias("hits"),
            (F.col("dcg") / F.col("ideal_dcg")).alias("ndcg"),
            (F.col("hits") / F.col("n_relevant")).alias("recall"),
        )
        .orderBy("user_id")
    )


def _java_major_version(banner: str) -> int | None:
    """The major version in ``java -version``'s banner; "1.8.0" is Java 8.

    >>> _java_major_version('openjdk version "17.0.15" 2025-04-15')
    17
    >>> _java_major_version('java version "1.8.0_372"')
    8
    >>> _java_major_version('openjdk version "21" 2023-09-19')
    21
    >>> _java_major_version("command not found") is None
    True
    """
    match = re.search(r'version "(\d+)(?:\.(\d+))?', banner)
    if not match:
        return None
    major = int(match[1])
    return int(match[2]) if major == 1 else major
