"""Serving: the feature stores, online features against offline ones, bundles and the request path."""

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial import features, ranking
from recsys_tutorial.data import make_synthetic
from recsys_tutorial.models import ALS
from recsys_tutorial.ranking.online import feature_snapshot
from recsys_tutorial.rerank import category_cap
from recsys_tutorial.serving import skew
from recsys_tutorial.serving.assemble import REQUEST_TIME_FEATURES, FeatureAssembler
from recsys_tutorial.serving.build import build_bundle
from recsys_tutorial.serving.bundle import (
    FILES,
    BundleError,
    activate,
    list_bundles,
    load_bundle,
    verify_bundle,
    write_bundle,
)
from recsys_tutorial.serving.path import RequestPath
from recsys_tutorial.serving.store import OfflineFeatureStore, SQLiteFeatureStore


@pytest.fixture(scope="module")
def world(serving_world):
    return serving_world  # the world of conftest's bundle_dir (the session's default world is larger)

# --- the feature stores -----------------------------------------------------------------------


def test_the_offline_store_reads_the_latest_row_at_or_before_the_time(tmp_path):
    store = OfflineFeatureStore(tmp_path / "f.sqlite")
    day = pd.Timestamp("2024-03-01")
    store.write("user", pd.DataFrame({"a": [1.0, 2.0], "b": [0.1, 0.2]}, index=[0, 1]), day)
    store.write("user", pd.DataFrame({"a": [10.0], "b": [np.pi]}, index=[1]), day + pd.Timedelta(days=1))
    before = store.read("user", [0, 1, 5], day - pd.Timedelta(seconds=1))
    assert np.isnan(before).all()  # nothing was valid yet: never a row written later
    np.testing.assert_array_equal(store.read("user", [1, 0], day + pd.Timedelta(hours=23)), [[2.0, 0.2], [1.0, 0.1]])
    latest = store.read("user", [1, 1, 0], day + pd.Timedelta(days=3))
    np.testing.assert_array_equal(latest, [[10.0, np.pi], [10.0, np.pi], [1.0, 0.1]])  # bit for bit
    assert store.snapshots("user") == [day, day + pd.Timedelta(days=1)]
    assert store.columns("user") == ["a", "b"]
    # Publishing to the online store: the rows valid at the moment, and only the latest.
    online = SQLiteFeatureStore(":memory:")
    store.materialize(online, day + pd.Timedelta(hours=1))
    np.testing.assert_array_equal(online.read("user", [0, 1, 5]), [[1.0, 0.1], [2.0, 0.2], [np.nan, np.nan]])
    store.materialize(online, day + pd.Timedelta(days=2))
    np.testing.assert_array_equal(online.read("user", [1]), [[10.0, np.pi]])
    assert online.as_of("user") == day + pd.Timedelta(days=2)


def test_keyed_tables_hold_any_number_of_categories(tmp_path):
    # 3,000 categories: one column each would pass SQLite's column limit (2,000 by default).
    n_keys = 3_000
    rows = pd.DataFrame({"events": np.arange(2 * n_keys, dtype=np.float64)},
                        index=pd.MultiIndex.from_product([[4, 9], range(n_keys)]))
    online, offline = SQLiteFeatureStore(tmp_path / "online.sqlite"), OfflineFeatureStore(":memory:")
    online.write("user_category", rows, "2024-01-01")
    offline.write("user_category", rows, "2024-01-01")
    np.testing.assert_array_equal(online.read_keys("user_category", 9)[:, 0], np.arange(n_keys, 2 * n_keys))
    np.testing.assert_array_equal(offline.read_keys("user_category", 4, "2024-01-02")[:, 0], np.arange(n_keys))
    assert np.isnan(online.read_keys("user_category", 5)).all()  # no rows: NaN for every key
    with pytest.raises(ValueError, match="read_keys"):
        online.read("user_category", [4])
    with pytest.raises(KeyError, match="no table 'user_genre'"):
        online.read_keys("user_genre", 4)


def test_stores_reject_bad_tables_and_columns(tmp_path):
    store = SQLiteFeatureStore(tmp_path / "f.sqlite")
    store.write("item", pd.DataFrame({"a": [1.0]}, index=[0]), "2024-01-01")
    with pytest.raises(ValueError, match="has columns"):
        store.write("item", pd.DataFrame({"b": [1.0]}, index=[0]), "2024-01-02")
    with pytest.raises(ValueError, match="table names"):
        store.write("item; DROP TABLE item", pd.DataFrame({"a": [1.0]}, index=[0]), "2024-01-02")
    with pytest.raises(ValueError, match="non-negative"):
        store.write("item", pd.DataFrame({"a": [1.0]}, index=[-3]), "2024-01-02")
    with pytest.raises(ValueError, match="with read"):
        store.read_keys("item", 0)
    with pytest.raises(KeyError, match="no table 'user'"):
        store.read("user", [0])
    with pytest.raises(FileNotFoundError):
        SQLiteFeatureStore(tmp_path / "absent.sqlite", read_only=True)
    store.close()
    reopened = SQLiteFeatureStore(tmp_path / "f.sqlite", read_only=True)
    assert reopened.read_frame("item", [0]).loc[0, "a"] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        reopened.write("item", pd.DataFrame({"a": [1.0]}, index=[0]), "2024-01-03")


@pytest.mark.parametrize("folder", ["run#1", "50%done", "two words", "q?x=1"])
def test_a_read_only_store_opens_under_any_folder_name(tmp_path, folder):
    path = tmp_path / folder / "f.sqlite"
    path.parent.mkdir()
    writer = SQLiteFeatureStore(path)
    writer.write("user", pd.DataFrame({"a": [7.0]}, index=[3]), "2024-01-01")
    writer.close()
    assert SQLiteFeatureStore(path, read_only=True).read("user", [3]).tolist() == [[7.0]]


@pytest.mark.parametrize("day", [40, 89])
def test_online_features_equal_chapter_two_at_the_same_time(world, day):
    # Two materialisations in the offline store; an as-of read between them returns the first
    # one's rows, which must equal chapter 2's offline features at that moment, on every feature.
    history = world.interactions
    times = [history["timestamp"].min() + pd.Timedelta(days=d) for d in (day, day + 1)]
    store = OfflineFeatureStore(":memory:")
    for moment in times:
        for name, table in feature_snapshot(history, world.items, moment, n_users=world.n_users).items():
            store.write(name, table, moment)
    at = times[0] + pd.Timedelta(hours=12)
    users, items = np.arange(world.n_users), np.arange(world.n_items)
    offline_users = features.user_features(history, as_of=times[0], n_users=world.n_users)
    offline_items = features.item_features(history, as_of=times[0], items=world.items)
    online_users = store.read_frame("user", users, at)
    online_items = store.read_frame("item", items, at)
    compared = 0
    for column in offline_users.columns:
        name = "context__days_since_user_last_event" if column == "days_since_last_event" else f"user__{column}"
        if name in online_users:
            np.testing.assert_allclose(online_users[name], offline_users[column], rtol=1e-12, atol=1e-12, err_msg=name)
            compared += 1
    for column in offline_items.columns:
        if f"item__{column}" in online_items:
            np.testing.assert_allclose(online_items[f"item__{column}"], offline_items[column], rtol=1e-12, atol=1e-12,
                                       err_msg=column)
            compared += 1
    pairs = pd.DataFrame({"user_id": np.repeat(users, 3), "item_id": np.tile([0, 1, 2], len(users))})
    offline_pairs = features.user_item_features(history, as_of=times[0], pairs=pairs, items=world.items)
    codes = features.category_codes(world.items)[0][pairs["item_id"]]
    by_user = np.stack([store.read_keys("user_category", int(user), at) for user in users])
    for j, offline in enumerate(["user_category_events", "user_category_affinity"]):
        looked_up = by_user[pairs["user_id"].to_numpy(), codes, j]
        np.testing.assert_allclose(looked_up, offline_pairs[offline], rtol=1e-12, atol=1e-12, err_msg=offline)
        compared += 1
    assert compared >= 18  # every activity feature the ranker uses, of users, items and pairs


@pytest.mark.parametrize("later", [pd.Timedelta(0), pd.Timedelta(hours=7, minutes=13), pd.Timedelta(days=4)])
def test_assembled_rows_equal_the_offline_ranking_frame(world, later):
    # The store holds the snapshot of time T; a request at T + later gets the hour, weekday and
    # days since the user's last event of its own time (the frame's at T + later) and the
    # snapshot's values of everything else (the frame's at T): bit for bit.
    history = world.interactions
    snapshot_time = history["timestamp"].max() + pd.Timedelta(seconds=1)
    at = snapshot_time + later
    retrievers = {"ALS": ALS(n_factors=16, random_state=0).fit(history)}
    users = np.arange(0, world.n_users, 9)

    def frame_at(moment):
        return ranking.build_ranking_frame(history, pd.Series(moment, index=pd.Index(users, name="user_id")),
                                           retrievers, world.items, n_candidates=30, sources=["ALS"])

    at_snapshot, at_request = frame_at(snapshot_time), frame_at(at)
    store = SQLiteFeatureStore(":memory:")
    for name, table in feature_snapshot(history, world.items, snapshot_time, n_users=world.n_users).items():
        store.write(name, table, snapshot_time)
    columns = ranking.feature_columns(at_snapshot)
    assembler = FeatureAssembler(columns, {name: store.columns(name) for name in store.tables()},
                                 features.category_codes(world.items)[0], ["ALS"], snapshot_time=snapshot_time)
    request_time = np.isin(columns, REQUEST_TIME_FEATURES)
    assert request_time.sum() == 3
    item_rows = store.read("item", np.arange(world.n_items))
    for user in users:
        rows = at_snapshot[at_snapshot["user_id"] == user]
        candidates = rows["item_id"].to_numpy()
        retrieval = {c: rows[c].to_numpy() for c in columns if c.startswith("retrieval__")}
        retrieval["retrieval__source"] = rows["retrieval__source"].astype(str).to_numpy()
        online = assembler.assemble(candidates, retrieval, item_rows[candidates], store.read("user", [user])[0],
                                    store.read_keys("user_category", int(user)), at)
        expected = rows[columns].apply(lambda c: c.cat.codes if isinstance(c.dtype, pd.CategoricalDtype) else c)
        expected = expected.to_numpy(dtype=np.float64)
        later_rows = at_request[at_request["user_id"] == user].set_index("item_id").loc[candidates]
        expected[:, request_time] = later_rows[np.array(columns)[request_time]].to_numpy(dtype=np.float64)
        np.testing.assert_array_equal(online, expected, err_msg=f"user {user}")


def test_the_assembler_names_a_feature_no_table_provides(world):
    with pytest.raises(ValueError, match="item__colour"):
        FeatureAssembler(["item__colour"], {"item": ["item__n_events"]}, features.category_codes(world.items)[0],
                         ["ALS"], snapshot_time="2024-01-01")


# --- the bundle -------------------------------------------------------------------------------


def _writers(text):
    return {name: (lambda path, text=text: path.write_text(text)) for name in FILES}


def test_a_bundle_records_its_files_and_versions(bundle_dir, world):
    manifest = verify_bundle(bundle_dir)
    assert set(manifest["files"]) == set(FILES)
    assert manifest["n_items"] == world.n_items and manifest["index"] == "IndexFlatIP"
    assert manifest["n_indexed_items"] == world.interactions["item_id"].nunique()  # no vector without history
    assert manifest["versions"]["lightgbm"] and manifest["versions"]["faiss-cpu"]
    assert pd.Timestamp(manifest["as_of"]) == world.interactions["timestamp"].max() + pd.Timedelta(seconds=1)
    assert sorted(p.name for p in bundle_dir.iterdir()) == ["BUNDLES.json", "current", "versions"]
    assert list_bundles(bundle_dir) == [manifest["bundle_id"]]
    assert Path(manifest["path"]) == (bundle_dir / "versions" / manifest["bundle_id"]).resolve()


def test_the_same_build_gives_the_same_bundle(tmp_path, world, bundle_dir):
    # No wall clock in a bundle: rebuilt from the same data, every file (and so the id) is the same.
    again = build_bundle(tmp_path / "again", data=world, n_candidates=40)
    first, second = verify_bundle(bundle_dir), verify_bundle(again)
    assert first["bundle_id"] == second["bundle_id"] and first["files"] == second["files"]


@pytest.mark.parametrize("contents", [{"thesis.tex": "\\begin{document}"}, {"notes": {"a.txt": "a"}}])
def test_a_folder_that_is_not_a_bundle_folder_is_refused_untouched(tmp_path, world, contents):
    target = tmp_path / "results"
    target.mkdir()
    for name, content in contents.items():
        if isinstance(content, dict):
            (target / name).mkdir()
            for inner, text in content.items():
                (target / name / inner).write_text(text)
        else:
            (target / name).write_text(content)
    before = sorted((p.relative_to(target), p.read_bytes() if p.is_file() else None) for p in target.rglob("*"))
    with pytest.raises(BundleError, match="not a bundle folder"):
        build_bundle(target, data=world)
    with pytest.raises(BundleError, match="not a bundle folder"):
        write_bundle(target, _writers("v1"), {})
    assert sorted((p.relative_to(target), p.read_bytes() if p.is_file() else None) for p in target.rglob("*")) == before
    (tmp_path / "a_file").write_text("mine")
    with pytest.raises(BundleError, match="is a file"):
        write_bundle(tmp_path / "a_file", _writers("v1"), {})
    assert (tmp_path / "a_file").read_text() == "mine"


def test_versions_are_switched_atomically_and_rolled_back(tmp_path):
    root = tmp_path / "bundles"
    write_bundle(root, _writers("v1"), {"note": "first"})
    first = verify_bundle(root)["bundle_id"]

    def failing(path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_bundle(root, {**_writers("v2"), "ranker.txt": failing}, {"note": "second"})
    assert verify_bundle(root)["note"] == "first" and list_bundles(root) == [first]  # no staging left behind
    assert sorted(p.name for p in root.iterdir()) == ["BUNDLES.json", "current", "versions"]
    write_bundle(root, _writers("v3"), {"note": "third"})
    third = verify_bundle(root)["bundle_id"]
    assert third != first and set(list_bundles(root)) == {first, third}
    assert activate(root, first) == third and verify_bundle(root)["note"] == "first"  # a rollback
    with pytest.raises(BundleError, match="no version"):
        activate(root, "../../etc")
    write_bundle(root, _writers("v4"), {}, make_current=False)  # staged beside, not served
    assert verify_bundle(root)["bundle_id"] == first and len(list_bundles(root)) == 3


def test_a_reader_sees_a_whole_bundle_while_versions_switch(tmp_path):
    import threading

    root = tmp_path / "bundles"
    for text in ("a", "b"):
        write_bundle(root, _writers(text), {"note": text})
    ids = list_bundles(root)
    errors, stop = [], threading.Event()

    def switch():
        while not stop.is_set():
            for bundle_id in ids:
                activate(root, bundle_id)

    switcher = threading.Thread(target=switch)
    switcher.start()
    try:
        for _ in range(300):
            try:
                manifest = verify_bundle(root)
                assert manifest["note"] in ("a", "b")
            except BundleError as error:  # never: there is always a current version
                errors.append(str(error))
    finally:
        stop.set()
        switcher.join()
    assert not errors


@pytest.mark.parametrize("damage, message", [
    (lambda path: path.write_bytes(path.read_bytes()[:-10]), "ranker.txt: truncated"),
    (lambda path: path.write_bytes(path.read_bytes()[:-1] + b"!"), "ranker.txt: corrupted"),
    (lambda path: path.unlink(), "ranker.txt: missing"),
])
def test_a_damaged_bundle_is_refused_naming_the_file(tmp_path, bundle_dir, damage, message):
    copy = tmp_path / "copy"
    shutil.copytree(bundle_dir, copy, symlinks=True)
    version = copy / "versions" / list_bundles(copy)[0]
    damage(version / "ranker.txt")
    with pytest.raises(BundleError, match=message):
        load_bundle(copy)


def test_a_manifest_that_drops_a_required_file_is_refused(tmp_path, bundle_dir):
    # Verification goes over the files the format requires, not over what the manifest lists.
    copy = tmp_path / "copy"
    shutil.copytree(bundle_dir, copy, symlinks=True)
    manifest_path = copy / "current" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest["files"]["features.sqlite"]
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="features.sqlite"):
        load_bundle(copy)
    manifest_path.write_text(json.dumps({**manifest, "format": 99}))
    with pytest.raises(BundleError, match="format 99"):
        verify_bundle(copy)
    manifest_path.unlink()
    with pytest.raises(BundleError, match="manifest.json: missing"):
        verify_bundle(copy)
    with pytest.raises(BundleError, match="not a directory"):
        verify_bundle(tmp_path / "nowhere")


# --- the request path -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def request_path(bundle, snapshot_time):
    return RequestPath(bundle, max_per_category=3, budget_ms=None, clock=snapshot_time)


@pytest.mark.parametrize("later", [pd.Timedelta(0), pd.Timedelta(days=2, hours=5)])
def test_the_path_serves_what_the_offline_two_stage_pipeline_ranks(world, request_path, snapshot_time, later):
    # Offline: the ranking frame at the request's time, scored by the bundle's ranker, then the cap.
    bundle = request_path.bundle
    history = world.interactions
    at = snapshot_time + later
    users = np.arange(0, world.n_users, 13)
    retriever = ALS(n_factors=32, random_state=0).fit(history)
    np.testing.assert_allclose(retriever.item_factors_, bundle.item_vectors)  # the same training, reproduced
    def frame_at(moment):
        return ranking.build_ranking_frame(history, pd.Series(moment, index=pd.Index(users, name="user_id")),
                                           {"ALS": retriever}, world.items, n_candidates=40, sources=["ALS"])

    # The service's rows: the snapshot's features, the request-time ones at the request's time.
    frame, later_frame = frame_at(snapshot_time), frame_at(at)
    columns = bundle.manifest["feature_columns"]
    X = frame[columns].apply(lambda c: c.cat.codes if isinstance(c.dtype, pd.CategoricalDtype) else c)
    later_rows = later_frame.set_index(["user_id", "item_id"]).loc[pd.MultiIndex.from_frame(frame[["user_id",
                                                                                                   "item_id"]])]
    for column in REQUEST_TIME_FEATURES:
        X[column] = later_rows[column].to_numpy()
    X = X.to_numpy(dtype=np.float64)
    frame["score"] = bundle.booster.predict(X)
    served_any = 0
    for user in users:
        if not len(bundle.seen(int(user))):  # a user without history: the popularity fallback
            assert request_path.recommend(int(user), k=10, at=at).fallback.startswith("unknown user")
            continue
        rows = frame[frame["user_id"] == user].sort_values("score", ascending=False, kind="stable")
        expected, _ = category_cap(rows["item_id"].to_numpy(), rows["score"].to_numpy(), bundle.item_category, 3)
        served = request_path.recommend(int(user), k=10, at=at)
        assert served.fallback is None and served.at == at
        assert served.items == expected[:10].tolist()
        assert not np.isin(served.items, bundle.seen(int(user))).any()
        # The logged features are the rows the ranker scored for the served items, in their order
        # (the retrieval scores to rounding: the refitted ALS equals the bundle's vectors to 1e-15).
        by_item = pd.DataFrame(X[frame.index.get_indexer(rows.index)], index=rows["item_id"].to_numpy())
        np.testing.assert_allclose(served.features, by_item.loc[served.items].to_numpy(), rtol=1e-12, atol=1e-12)
        served_any += 1
    assert served_any >= 20


def test_every_stage_is_timed_and_the_cap_holds(request_path):
    served = request_path.recommend(5, k=20)
    assert set(served.timings_ms) == {"retrieval", "features", "ranking", "rules", "total"}
    assert served.timings_ms["total"] >= max(v for s, v in served.timings_ms.items() if s != "total")
    categories = request_path.bundle.item_category[served.items]
    assert np.bincount(categories).max() <= 3 and len(set(served.items)) == len(served.items)


def _capped(bundle, items, cap=3):
    return len(items) == 0 or np.bincount(bundle.item_category[items]).max() <= cap


@pytest.mark.parametrize("stage, expected", [
    ("retrieval", "retrieval failed: served the popular items"), ("features", "features failed: served in retrieval"),
    ("ranking", "ranking failed: served in retrieval order"),
])
def test_a_failing_stage_falls_back_and_the_rules_still_hold(bundle, snapshot_time, stage, expected):
    broken = RequestPath(bundle, budget_ms=None, faults={stage: "error"}, clock=snapshot_time)
    served = broken.recommend(7, k=10)
    assert served.fallback == expected.split(":")[0] + ":" + served.fallback.split(":", 1)[1]
    assert served.fallback.startswith(expected) and len(served.items) == 10
    assert "Error" not in served.fallback  # what happened, not which exception
    assert not np.isin(served.items, bundle.seen(7)).any()
    assert _capped(bundle, served.items) and "rules" in served.timings_ms
    assert served.features is None  # the ranker did not order this list
    if stage in ("features", "ranking"):  # the retrieval order: the best retrieval scores first
        assert (np.diff(np.array(served.scores)) <= 0).all()


def test_failing_rules_serve_nothing_rather_than_an_unchecked_list(bundle, snapshot_time):
    served = RequestPath(bundle, budget_ms=None, faults={"rules": "error"}, clock=snapshot_time).recommend(7, k=10)
    assert served.items == [] and served.fallback.startswith("rules failed")


def test_a_request_past_its_budget_skips_the_optional_stages_never_the_rules(bundle, snapshot_time):
    slow = RequestPath(bundle, budget_ms=20.0, faults={"features": "slow"}, clock=snapshot_time)
    served = slow.recommend(3, k=10)
    assert "budget before ranking" in served.fallback and "ranking" not in served.timings_ms
    assert "rules" in served.timings_ms and len(served.items) == 10 and _capped(bundle, served.items)


def test_unknown_users_get_popular_items_under_the_rules(request_path):
    bundle = request_path.bundle
    served = request_path.recommend(10**6, k=30)
    assert served.fallback.startswith("unknown user") and len(served.items) == 30
    assert _capped(bundle, served.items)
    # The popular order, less the items the cap removed.
    positions = [int(np.flatnonzero(bundle.popular == item)[0]) for item in served.items]
    assert positions == sorted(positions)


def test_the_path_checks_its_inputs(bundle, request_path, snapshot_time):
    with pytest.raises(ValueError, match="before the bundle's snapshot"):
        request_path.recommend(3, at=snapshot_time - pd.Timedelta(seconds=1))
    for k in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="k must be"):
            request_path.recommend(3, k=k)
    with pytest.raises(TypeError, match="user_id"):
        request_path.recommend("3")
    with pytest.raises(ValueError, match="faults"):
        RequestPath(bundle, faults={"ranking": "sometimes"})
    with pytest.raises(ValueError, match="max_per_category"):
        RequestPath(bundle, max_per_category=0)
    # A time zone is converted, not ignored.
    utc = request_path.recommend(3, at=snapshot_time.tz_localize("UTC").tz_convert("Asia/Tokyo"))
    assert utc.at == snapshot_time and utc.items == request_path.recommend(3).items


def test_a_reloaded_bundle_serves_identical_recommendations(bundle_dir, request_path, snapshot_time):
    again = RequestPath(load_bundle(bundle_dir), max_per_category=3, budget_ms=None, clock=snapshot_time)
    for user in range(0, 400, 17):
        first, second = request_path.recommend(user, 10), again.recommend(user, 10)
        assert (first.items, first.scores) == (second.items, second.scores)


# --- training–serving skew ----------------------------------------------------------------------


def test_the_skew_lab_finds_the_skewed_features_and_pairs_the_lists(tmp_path):
    world = make_synthetic(n_users=600, n_items=400, n_interactions=9_000, random_state=5)
    result = skew.skew_experiment(world, tmp_path / "bundle", n_candidates=30)
    assert list(result.ndcg.columns) == ["one definition", "skewed job"] and len(result.ndcg) >= 30
    assert result.ndcg.index.is_unique and result.ndcg.notna().all().all()
    # The skewed job smooths rates and the category affinity differently: those features, and only
    # those, move against the training frame; the retrieval rank and the item features do not.
    jump = (result.psi["skewed job"] - result.psi["one definition"]).sort_values(ascending=False)
    smoothed = {"user_item__category_affinity", "user__conversion_rate", "user__click_through_rate",
                "user__mean_rating", "item__click_through_rate", "item__conversion_rate", "item__mean_rating"}
    assert set(jump.index[jump > 0.1]) <= smoothed and jump.iloc[0] > 0.3
    assert (jump[~jump.index.isin(smoothed)].abs() < 1e-12).all()


def test_feature_psi_compares_like_with_like():
    rng = np.random.default_rng(0)
    reference = pd.DataFrame({"a": rng.normal(size=2_000), "b": pd.Categorical(rng.integers(0, 3, 2_000))})
    served = pd.DataFrame({"user_id": 0, "a": rng.normal(size=2_000), "b": rng.integers(0, 3, 2_000).astype(float)})
    stable = skew.feature_psi(reference, served)
    assert list(stable.index) == ["a", "b"] or list(stable.index) == ["b", "a"]
    assert (stable < 0.05).all()
    shifted = skew.feature_psi(reference, served.assign(a=served["a"] + 1.0))
    assert shifted.index[0] == "a" and shifted["a"] > 0.25
    with pytest.raises(ValueError, match=r"\['c'\]"):
        skew.feature_psi(reference, served.assign(c=1.0))


def test_above_the_exact_size_the_bundle_serves_an_hnsw_graph(tmp_path, world, monkeypatch, request_path):
    from recsys_tutorial.serving import build as build_module

    monkeypatch.setattr(build_module, "EXACT_INDEX_MAX_ITEMS", 50)
    graph_bundle = load_bundle(build_bundle(tmp_path / "graph", data=world, n_candidates=40))
    assert graph_bundle.manifest["index_kind"] == "hnsw" and graph_bundle.manifest["index"] == "IndexHNSWFlat"
    assert graph_bundle.manifest["index_params"] == build_module.HNSW_PARAMS
    graph = RequestPath(graph_bundle, budget_ms=None, clock=graph_bundle.manifest["as_of"])
    users = [u for u in range(0, 400, 7) if len(graph_bundle.seen(u))]
    same = [graph.recommend(u, 10).items == request_path.recommend(u, 10).items for u in users]
    assert np.mean(same) >= 0.9  # a few hundred items: the graph finds (nearly) every exact candidate
