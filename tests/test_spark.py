"""recsys_tutorial.spark against the package's pandas code: the same features, split and metrics.

Skipped, with the reason printed, where pyspark (the ``spark`` extra) or Java 17/21 is missing.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial import evaluation, features, split
from recsys_tutorial.data import make_synthetic


def test_the_rest_of_the_package_never_imports_pyspark():
    code = (
        "import sys, pkgutil, importlib, recsys_tutorial\n"
        "for m in pkgutil.walk_packages(recsys_tutorial.__path__, 'recsys_tutorial.'):\n"
        "    if m.name != 'recsys_tutorial.spark': importlib.import_module(m.name)\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in ('pyspark', 'py4j')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_where_spark_cannot_run_the_skip_says_why(monkeypatch):
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("repository_conftest", Path(__file__).parents[1] / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "pyspark" else real_find_spec(name, *a)
    )
    assert conftest.spark_unavailable() == "pyspark is not installed (pip install -e '.[spark]')"
    monkeypatch.undo()
    if real_find_spec("pyspark") is not None:
        import recsys_tutorial.spark as module

        monkeypatch.setattr(module, "java_version", lambda: None)
        assert "Spark needs Java 17 or 21 and found no Java" in conftest.spark_unavailable()
        monkeypatch.setattr(module, "java_version", lambda: 11)
        assert "found Java 11" in conftest.spark_unavailable()


pytest.importorskip("pyspark", reason="pyspark is not installed: pip install -e '.[spark]' to run the Spark tests")
from recsys_tutorial import spark as rs  # noqa: E402

if rs.java_version() not in rs.SUPPORTED_JAVA:
    pytest.skip(f"Spark needs Java 17 or 21, found {rs.java_version()}: the Spark tests did not run",
                allow_module_level=True)


@pytest.fixture(scope="module")
def session():
    spark = rs.local_session(cores=2, driver_memory="2g")
    yield spark
    # Stop Spark, and its JVM with it (it exits when its stdin closes), so that it does not idle
    # on a core through the rest of the test run.
    from pyspark import SparkContext

    spark.stop()
    gateway = SparkContext._gateway
    gateway.shutdown()
    gateway.proc.stdin.close()
    gateway.proc.wait(timeout=60)
    SparkContext._gateway = SparkContext._jvm = None


@pytest.fixture(scope="module")
def world():
    return make_synthetic(n_users=1_500, n_items=400, n_interactions=20_000, random_state=3)


@pytest.fixture(scope="module")
def events(session, world):
    return rs.to_spark(session, world.interactions, row_id=True).cache()


# ---------------------------------------------------------------------------------------------
# Features and split: equal to the pandas code
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", ["2024-05-20", "2024-06-30 12:00", "2024-01-01"])
def test_user_features_equal_pandas_exactly(events, world, as_of):
    expected = features.user_features(world.interactions, as_of, n_users=world.n_users)
    got = rs.user_features(events, as_of, n_users=world.n_users).toPandas().set_index("user_id")
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_index_type=False)


@pytest.mark.parametrize("as_of", ["2024-05-20", "2024-01-01"])
def test_item_features_equal_pandas(session, events, world, as_of):
    expected = features.item_features(world.interactions, as_of, items=world.items)
    items = rs.to_spark(session, world.items)
    got = rs.item_features(events, as_of, n_items=world.n_items, items=items).toPandas().set_index("item_id")
    assert list(got.columns) == list(expected.columns)
    # log1p is the one transcendental function: Java's StrictMath (fdlibm) and NumPy's (the C
    # library's) may round it to neighbouring doubles. Every other column is equal to the bit.
    np.testing.assert_array_max_ulp(
        got.pop("log_popularity").to_numpy(), expected.pop("log_popularity").to_numpy(), maxulp=1
    )
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_index_type=False)


@pytest.mark.parametrize("test_fraction, min_test", [(0.2, 1), (0.25, 1), (0.5, 2), (0.1, 3)])
def test_per_user_temporal_split_is_identical(events, world, test_fraction, min_test):
    train, test = split.per_user_temporal_split(world.interactions, test_fraction=test_fraction, min_test=min_test)
    spark_train, spark_test = rs.per_user_temporal_split(events, test_fraction=test_fraction, min_test=min_test)
    test_rows = np.sort(spark_test.select("row_id").toPandas()["row_id"].to_numpy())
    train_rows = np.sort(spark_train.select("row_id").toPandas()["row_id"].to_numpy())
    position = world.interactions.index.get_indexer
    np.testing.assert_array_equal(test_rows, np.sort(position(test.index)))
    np.testing.assert_array_equal(train_rows, np.sort(position(train.index)))


def test_split_breaks_ties_in_time_by_row_order(session):
    log = pd.DataFrame({"user_id": [0] * 4, "item_id": [3, 2, 1, 0], "timestamp": pd.to_datetime(["2024-01-01"] * 4),
                        "event_type": "view", "rating": np.nan})
    _, test = rs.per_user_temporal_split(rs.to_spark(session, log, row_id=True), test_fraction=0.5)
    assert sorted(test.toPandas()["item_id"]) == [0, 1]  # the last two rows, as in the pandas split


def test_to_spark_keeps_times_and_turns_nan_into_null(session):
    frame = pd.DataFrame({"timestamp": pd.to_datetime(["2024-03-31 23:59:59", "1999-01-01 00:00:00"]),
                          "rating": [np.nan, 4.0], "event_type": pd.Categorical(["view", "click"])})
    out = rs.to_spark(session, frame, row_id=True)
    rows = out.selectExpr("row_id", "unix_micros(timestamp) AS us", "rating", "event_type").toPandas()
    assert rows["us"].tolist() == frame["timestamp"].astype("datetime64[us]").astype("int64").tolist()
    assert rows["rating"].isna().tolist() == [True, False]
    assert rows["event_type"].tolist() == ["view", "click"] and rows["row_id"].tolist() == [0, 1]
    with pytest.raises(ValueError, match="time-zone aware"):
        rs.to_spark(session, frame.assign(timestamp=frame["timestamp"].dt.tz_localize("UTC")))


# ---------------------------------------------------------------------------------------------
# ALS, top-k and metrics
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def movielens_spark(session, movielens_temporal):
    movielens, train, users, relevant = movielens_temporal
    test = movielens.interactions.drop(train.index)
    spark_train = rs.to_spark(session, train).cache()
    model = rs.fit_als(spark_train, n_factors=64, n_epochs=15, reg=0.01, alpha=1.0, random_state=0)
    recommendations = rs.recommend_all(model, spark_train, k=10).cache()
    return model, spark_train, rs.to_spark(session, test), recommendations


def _as_matrix(recommendations: pd.DataFrame, n_users: int, k: int) -> np.ndarray:
    matrix = np.full((n_users, k), -1, dtype=np.int64)
    matrix[recommendations["user_id"], recommendations["rank"] - 1] = recommendations["item_id"]
    return matrix


def test_recommend_all_is_the_exact_top_k_of_unseen_items(movielens_spark, movielens_temporal):
    model, _, _, recommendations = movielens_spark
    movielens, train, _, _ = movielens_temporal
    got = recommendations.toPandas()
    user_factors = model.userFactors.toPandas().sort_values("id")
    item_factors = model.itemFactors.toPandas().sort_values("id")
    user_vectors = np.stack(user_factors["features"]).astype(np.float64)
    scores = user_vectors @ np.stack(item_factors["features"]).astype(np.float64).T
    item_ids = item_factors["id"].to_numpy()
    row_of_user = {user: row for row, user in enumerate(user_factors["id"])}
    for user, seen in train.groupby("user_id")["item_id"]:
        row = scores[row_of_user[user]].copy()
        row[np.isin(item_ids, seen.to_numpy())] = -np.inf
        expected = item_ids[np.lexsort((item_ids, -row))[:10]]
        listed = got[got["user_id"] == user].sort_values("rank")
        assert listed["item_id"].tolist() == expected.tolist(), f"user {user}"
        assert not set(listed["item_id"]) & set(seen)
        assert listed["score"].is_monotonic_decreasing


def test_ranking_metrics_equal_the_package_and_mllib(session, movielens_spark, movielens_temporal):
    from pyspark.ml.evaluation import RankingEvaluator
    from pyspark.sql import functions as F

    _, spark_train, spark_test, recommendations = movielens_spark
    movielens, _, users, relevant = movielens_temporal
    per_user = rs.ranking_metrics(recommendations, spark_test, spark_train, k=10).toPandas()
    assert per_user["user_id"].tolist() == users.tolist()
    recommended = _as_matrix(recommendations.toPandas(), movielens.n_users, 10)[users]
    np.testing.assert_allclose(per_user["ndcg"], evaluation.ndcg_at_k(recommended, relevant), rtol=0, atol=1e-12)
    np.testing.assert_allclose(per_user["recall"], evaluation.recall_at_k(recommended, relevant), rtol=0, atol=1e-12)

    # MLlib's own evaluator, on (predicted list, relevant set) per user: the same means.
    lists = recommendations.groupBy("user_id").agg(
        F.sort_array(F.collect_list(F.struct("rank", "item_id"))).alias("ranked")
    )
    lists = lists.select("user_id", F.col("ranked.item_id").cast("array<double>").alias("prediction"))
    relevant_sets = (
        spark_test.select("user_id", "item_id")
        .join(spark_train.select("user_id", "item_id"), ["user_id", "item_id"], "left_anti")
        .groupBy("user_id").agg(F.collect_set(F.col("item_id").cast("double")).alias("label"))
    )
    joined = relevant_sets.join(lists, "user_id")
    for metric, column in (("ndcgAtK", "ndcg"), ("recallAtK", "recall")):
        mllib = RankingEvaluator(metricName=metric, k=10).evaluate(joined)
        assert mllib == pytest.approx(per_user[column].mean(), abs=1e-12)


def test_a_user_without_recommendations_scores_zero(session):
    test = session.createDataFrame(pd.DataFrame({"user_id": [0, 1], "item_id": [5, 6]}))
    recommendations = session.createDataFrame(pd.DataFrame({"user_id": [0], "rank": [1], "item_id": [5]}))
    scores = rs.ranking_metrics(recommendations, test, k=3).toPandas()
    assert scores[["ndcg", "recall"]].to_numpy().tolist() == [[1.0, 1.0], [0.0, 0.0]]


def test_mllib_als_is_within_noise_of_the_package_als(movielens_spark, movielens_temporal):
    from recsys_tutorial.models import ALS

    _, _, _, recommendations = movielens_spark
    movielens, train, users, relevant = movielens_temporal
    ours = ALS(n_factors=64, n_epochs=15, reg=0.01, alpha=1.0, random_state=0).fit(train)
    ndcg_ours = evaluation.ndcg_at_k(ours.recommend(users, k=10)[0], relevant)
    ndcg_mllib = evaluation.ndcg_at_k(_as_matrix(recommendations.toPandas(), movielens.n_users, 10)[users], relevant)
    paired = evaluation.paired_test(ndcg_mllib, ndcg_ours)
    assert paired["ci low"] < 0 < paired["ci high"], paired.to_dict()
    assert abs(paired["mean difference"]) < 0.01
    assert ndcg_mllib.mean() > 0.15  # and both far above popularity's 0.113 on this protocol


def test_long_als_runs_cut_their_lineage_at_checkpoints(session):
    """Without a checkpoint folder every ALS iteration lengthens the lineage each task carries,
    and a long one overflows a thread's stack as it is deserialised (the JVM then exits)."""
    import pathlib

    folder = session.sparkContext.getCheckpointDir()
    assert folder is not None
    pairs = pd.DataFrame({"user_id": np.arange(60) % 12, "item_id": np.arange(60) % 17})
    model = rs.fit_als(session.createDataFrame(pairs), n_factors=4, n_epochs=25)
    assert model.itemFactors.count() == 17
    written = [path for path in pathlib.Path(folder.removeprefix("file:")).rglob("*") if path.is_file()]
    assert written, f"no checkpoint was written under {folder}"


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def test_clear_errors(session, events):
    with pytest.raises(ValueError, match="row_id"):
        rs.per_user_temporal_split(events.drop("row_id"))
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        rs.per_user_temporal_split(events, test_fraction=1.5)
    with pytest.raises(ValueError, match="missing column"):
        rs.user_features(events.drop("rating"), "2024-05-01", n_users=10)
    with pytest.raises(ValueError, match="as_of is required"):
        rs.item_features(events, None, n_items=10)
    with pytest.raises(ValueError, match="Spark DataFrame"):
        rs.user_features(pd.DataFrame(), "2024-05-01", n_users=10)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        rs.ranking_metrics(events.withColumn("rank", events["row_id"]), events, k=0)
    with pytest.raises(ValueError, match="n_factors"):
        rs.fit_als(events, n_factors=0)


def test_a_missing_java_is_named_with_how_to_get_one(monkeypatch):
    monkeypatch.setattr(rs, "java_version", lambda: 11)
    with pytest.raises(RuntimeError, match="Java 17 or 21, found Java 11.*openjdk-17"):
        rs.local_session()
