"""Serving: the feature store, online features against offline ones, the bundle, the request path and the service."""

import json

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from recsys_tutorial import features, ranking
from recsys_tutorial.data import make_synthetic
from recsys_tutorial.models import ALS
from recsys_tutorial.ranking.online import FeatureAssembler, feature_snapshot
from recsys_tutorial.rerank import category_cap
from recsys_tutorial.serving import cli
from recsys_tutorial.serving import process as serving_process
from recsys_tutorial.serving.app import create_app
from recsys_tutorial.serving.build import build_bundle
from recsys_tutorial.serving.bundle import FILES, BundleError, load_bundle, verify_bundle, write_bundle
from recsys_tutorial.serving.path import RequestPath
from recsys_tutorial.serving.store import SQLiteFeatureStore


@pytest.fixture(scope="module")
def world():
    return make_synthetic(n_users=400, n_items=300, n_interactions=6_000, random_state=3)


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory, world):
    return build_bundle(tmp_path_factory.mktemp("bundles") / "small", data=world, n_candidates=40)


# --- the feature store ------------------------------------------------------------------------


def test_store_reads_the_latest_row_at_or_before_the_time(tmp_path):
    store = SQLiteFeatureStore(tmp_path / "f.sqlite")
    day = pd.Timestamp("2024-03-01")
    store.write("user", pd.DataFrame({"a": [1.0, 2.0], "b": [0.1, 0.2]}, index=[0, 1]), day)
    store.write("user", pd.DataFrame({"a": [10.0], "b": [np.pi]}, index=[1]), day + pd.Timedelta(days=1))
    before = store.read("user", [0, 1, 5], day - pd.Timedelta(seconds=1))
    assert np.isnan(before).all()  # nothing was valid yet: never a row written later
    np.testing.assert_array_equal(store.read("user", [1, 0], day + pd.Timedelta(hours=23)), [[2.0, 0.2], [1.0, 0.1]])
    latest = store.read("user", [1, 1, 0], day + pd.Timedelta(days=3))
    np.testing.assert_array_equal(latest, [[10.0, np.pi], [10.0, np.pi], [1.0, 0.1]])  # bit for bit
    for moment in (day - pd.Timedelta(seconds=1), day, day + pd.Timedelta(hours=23), day + pd.Timedelta(days=3)):
        one_by_one = np.vstack([store.read("user", [entity], moment) for entity in (0, 1, 5)])
        np.testing.assert_array_equal(one_by_one, store.read("user", [0, 1, 5], moment))  # its own query
    assert store.snapshots("user") == [day, day + pd.Timedelta(days=1)]
    assert store.columns("user") == ["a", "b"]
    store.close()
    reopened = SQLiteFeatureStore(tmp_path / "f.sqlite", read_only=True)
    assert reopened.read_frame("user", [1], day).loc[1, "a"] == 2.0
    with pytest.raises(ValueError, match="read-only"):
        reopened.write("user", pd.DataFrame({"a": [1.0], "b": [1.0]}, index=[0]), day)


def test_store_rejects_bad_tables_and_columns(tmp_path):
    store = SQLiteFeatureStore(tmp_path / "f.sqlite")
    store.write("item", pd.DataFrame({"a": [1.0]}, index=[0]), "2024-01-01")
    with pytest.raises(ValueError, match="has columns"):
        store.write("item", pd.DataFrame({"b": [1.0]}, index=[0]), "2024-01-02")
    with pytest.raises(ValueError, match="table names"):
        store.write("item; DROP TABLE item", pd.DataFrame({"a": [1.0]}, index=[0]), "2024-01-02")
    with pytest.raises(KeyError, match="no table 'user'"):
        store.read("user", [0], "2024-01-02")
    with pytest.raises(FileNotFoundError):
        SQLiteFeatureStore(tmp_path / "absent.sqlite", read_only=True)


@pytest.mark.parametrize("day", [40, 89])
def test_online_features_equal_chapter_two_at_the_same_time(tmp_path, world, day):
    # Two materialisations; a read between them returns the first one's rows, which must equal
    # chapter 2's offline features computed at that moment, on every feature.
    history = world.interactions
    times = [history["timestamp"].min() + pd.Timedelta(days=d) for d in (day, day + 1)]
    store = SQLiteFeatureStore(tmp_path / "f.sqlite")
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
    online_pairs = store.read_frame("user_category", users, at)
    codes = features.category_codes(world.items)[0][pairs["item_id"]]
    for offline, online in [("user_category_events", "user_item__category_events"),
                            ("user_category_affinity", "user_item__category_affinity")]:
        looked_up = online_pairs.to_numpy()[np.repeat(users, 3), [online_pairs.columns.get_loc(f"{online}@{c}")
                                                                  for c in codes]]
        np.testing.assert_allclose(looked_up, offline_pairs[offline], rtol=1e-12, atol=1e-12, err_msg=offline)
        compared += 1
    assert compared >= 18  # every activity feature the ranker uses, of users, items and pairs


def test_assembled_rows_equal_the_offline_ranking_frame(world):
    history = world.interactions
    at = history["timestamp"].max() + pd.Timedelta(seconds=1)
    retrievers = {"ALS": ALS(n_factors=16, random_state=0).fit(history)}
    users = np.arange(0, world.n_users, 9)
    frame = ranking.build_ranking_frame(history, pd.Series(at, index=pd.Index(users, name="user_id")), retrievers,
                                        world.items, n_candidates=30, sources=["ALS"])
    snapshot = feature_snapshot(history, world.items, at, n_users=world.n_users)
    columns = ranking.feature_columns(frame)
    assembler = FeatureAssembler(columns, {name: list(t.columns) for name, t in snapshot.items()},
                                 features.category_codes(world.items)[0], ["ALS"])
    for user in users:
        rows = frame[frame["user_id"] == user]
        candidates = rows["item_id"].to_numpy()
        retrieval = {c: rows[c].to_numpy() for c in columns if c.startswith("retrieval__")}
        retrieval["retrieval__source"] = rows["retrieval__source"].astype(str).to_numpy()
        online = assembler.assemble(candidates, retrieval, snapshot["item"].to_numpy()[candidates],
                                    snapshot["user"].to_numpy()[user], snapshot["user_category"].to_numpy()[user], at)
        offline = rows[columns].apply(lambda c: c.cat.codes if isinstance(c.dtype, pd.CategoricalDtype) else c)
        np.testing.assert_array_equal(online, offline.to_numpy(dtype=np.float64))


def test_the_assembler_names_a_feature_no_table_provides(world):
    with pytest.raises(ValueError, match="item__colour"):
        FeatureAssembler(["item__colour"], {"item": ["item__n_events"]}, features.category_codes(world.items)[0],
                         ["ALS"])


# --- the bundle -------------------------------------------------------------------------------


def test_a_bundle_records_its_files_and_versions(bundle_dir, world):
    manifest = verify_bundle(bundle_dir)
    assert set(manifest["files"]) == set(FILES)
    assert manifest["n_items"] == world.n_items and manifest["index"] == "IndexFlatIP"
    assert manifest["n_indexed_items"] == world.interactions["item_id"].nunique()  # no vector without history
    assert manifest["versions"]["lightgbm"] and manifest["versions"]["faiss-cpu"]
    assert pd.Timestamp(manifest["as_of"]) == world.interactions["timestamp"].max() + pd.Timedelta(seconds=1)
    assert not list(bundle_dir.parent.glob(".*partial*"))


@pytest.mark.parametrize("damage, message", [
    (lambda path: path.write_bytes(path.read_bytes()[:-10]), "ranker.txt: truncated"),
    (lambda path: path.write_bytes(path.read_bytes()[:-1] + b"!"), "ranker.txt: corrupted"),
    (lambda path: path.unlink(), "ranker.txt: missing"),
])
def test_a_damaged_bundle_is_refused_naming_the_file(tmp_path, bundle_dir, damage, message):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(bundle_dir, copy)
    damage(copy / "ranker.txt")
    with pytest.raises(BundleError, match=message):
        load_bundle(copy)


def test_a_bundle_without_manifest_or_of_another_format_is_refused(tmp_path, bundle_dir):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(bundle_dir, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps({**manifest, "format": 99}))
    with pytest.raises(BundleError, match="format 99"):
        verify_bundle(copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(BundleError, match="manifest.json: missing"):
        verify_bundle(copy)
    with pytest.raises(BundleError, match="not a directory"):
        verify_bundle(tmp_path / "nowhere")


def test_writing_is_atomic(tmp_path):
    target = tmp_path / "bundle"
    writers = {name: (lambda path: path.write_text("v1")) for name in FILES}
    write_bundle(target, writers, {"note": "first"})

    def failing(path):
        path.write_text("half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_bundle(target, {**writers, "ranker.txt": failing}, {"note": "second"})
    assert json.loads((target / "manifest.json").read_text())["note"] == "first"  # the old bundle, whole
    assert verify_bundle(target) and sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]
    write_bundle(target, {name: (lambda path: path.write_text("v2")) for name in FILES}, {"note": "third"})
    assert (target / "ranker.txt").read_text() == "v2" and sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


# --- the request path -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def request_path(bundle_dir):
    return RequestPath(load_bundle(bundle_dir), max_per_category=3, budget_ms=None)


def test_the_path_serves_what_the_offline_two_stage_pipeline_ranks(bundle_dir, world, request_path):
    # Offline: the ranking frame at the bundle's moment, scored by the bundle's ranker, then the cap.
    bundle = request_path.bundle
    history = world.interactions
    at = pd.Timestamp(bundle.manifest["as_of"])
    users = np.arange(0, world.n_users, 13)
    retriever = ALS(n_factors=32, random_state=0).fit(history)
    np.testing.assert_allclose(retriever.item_factors_, bundle.item_vectors)  # the same training, reproduced
    frame = ranking.build_ranking_frame(history, pd.Series(at, index=pd.Index(users, name="user_id")),
                                        {"ALS": retriever}, world.items, n_candidates=40, sources=["ALS"])
    X = frame[bundle.manifest["feature_columns"]].apply(
        lambda c: c.cat.codes if isinstance(c.dtype, pd.CategoricalDtype) else c).to_numpy(dtype=np.float64)
    frame["score"] = bundle.booster.predict(X)
    for user in users:
        if not len(bundle.seen(int(user))):  # a user without history: the popularity fallback
            assert request_path.recommend(int(user), k=10).fallback.startswith("unknown user")
            continue
        rows = frame[frame["user_id"] == user].sort_values("score", ascending=False, kind="stable")
        expected, _ = category_cap(rows["item_id"].to_numpy(), rows["score"].to_numpy(), bundle.item_category, 3)
        served = request_path.recommend(int(user), k=10)
        assert served.fallback is None
        assert served.items == expected[:10].tolist()
        assert not np.isin(served.items, bundle.seen(int(user))).any()


def test_every_stage_is_timed_and_the_cap_holds(request_path):
    served = request_path.recommend(5, k=20)
    assert set(served.timings_ms) == {"retrieval", "features", "ranking", "rules", "total"}
    assert served.timings_ms["total"] >= max(v for s, v in served.timings_ms.items() if s != "total")
    categories = request_path.bundle.item_category[served.items]
    assert np.bincount(categories).max() <= 3 and len(set(served.items)) == len(served.items)


@pytest.mark.parametrize("stage, expected", [
    ("retrieval", "retrieval failed"), ("features", "features failed"), ("ranking", "ranking failed"),
    ("rules", "rules failed"),
])
def test_a_failing_stage_falls_back_to_the_previous_output(bundle_dir, request_path, stage, expected):
    broken = RequestPath(load_bundle(bundle_dir), budget_ms=None, faults={stage: "error"})
    served = broken.recommend(7, k=10)
    assert expected in served.fallback and len(served.items) == 10
    assert not np.isin(served.items, broken.bundle.seen(7)).any()
    if stage in ("features", "ranking"):  # the retrieval order: the best retrieval scores first
        scores = np.array(served.scores)
        assert (np.diff(scores) <= 0).all()


def test_a_request_past_its_budget_skips_the_stages_left(bundle_dir):
    slow = RequestPath(load_bundle(bundle_dir), budget_ms=20.0, faults={"features": "slow"})
    served = slow.recommend(3, k=10)
    assert "budget before ranking" in served.fallback and "ranking" not in served.timings_ms
    assert len(served.items) == 10


def test_unknown_users_get_popular_items(request_path):
    served = request_path.recommend(10**6, k=5)
    assert served.fallback.startswith("unknown user") and served.items == request_path.bundle.popular[:5].tolist()


def test_a_reloaded_bundle_serves_identical_recommendations(bundle_dir, request_path):
    again = RequestPath(load_bundle(bundle_dir), max_per_category=3, budget_ms=None)
    for user in range(0, 400, 17):
        first, second = request_path.recommend(user, 10), again.recommend(user, 10)
        assert (first.items, first.scores) == (second.items, second.scores)


# --- the service ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(bundle_dir, tmp_path_factory):
    impressions = tmp_path_factory.mktemp("logs") / "impressions.jsonl"
    with TestClient(create_app(bundle_dir, impressions_path=impressions)) as test_client:
        test_client.impressions = impressions
        yield test_client


def test_recommend_returns_items_scores_and_timings(client, request_path):
    response = client.post("/recommend", json={"user_id": 11, "k": 7})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "scores", "fallback", "timings_ms"} and len(body["items"]) == 7
    assert body["items"] == request_path.recommend(11, 7).items and body["fallback"] is None
    assert client.post("/recommend", json={"user_id": 11}).json()["items"][:7] == body["items"]  # k defaults to 10
    assert client.post("/recommend", json={"user_id": 10**7, "k": 3}).json()["fallback"].startswith("unknown user")


@pytest.mark.parametrize("body", [
    b"{not json", b"[1, 2]", b'{"k": 5}', b'{"user_id": "11"}', b'{"user_id": 11.5}', b'{"user_id": true}',
    b'{"user_id": -1}', b'{"user_id": 11, "k": 0}', b'{"user_id": 11, "k": 101}', b'{"user_id": 11, "k": 10000000}',
    b'{"user_id": 11, "debug": true}', b'{"user_id": 1e400}',
])
def test_malformed_requests_get_a_4xx_with_a_reason(client, body):
    response = client.post("/recommend", content=body, headers={"content-type": "application/json"})
    assert 400 <= response.status_code < 500, (body, response.status_code)
    assert response.json()["detail"]


def test_health_metrics_and_the_impression_log(client):
    client.post("/recommend", json={"user_id": 2, "k": 4})
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["requests_served"] >= 1 and health["bundle"]["n_items"] == 300
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    assert 'recsys_stage_seconds_bucket{le="0.005",stage="ranking"}' in metrics.text
    assert 'recsys_requests_total{outcome="ok"}' in metrics.text
    logged = [json.loads(line) for line in client.impressions.read_text().splitlines()]
    assert logged[-1]["user_id"] == 2 and len(logged[-1]["items"]) == 4 and len(logged) == health["requests_served"]


def test_a_bad_bundle_stops_the_start_up(tmp_path):
    with pytest.raises(BundleError, match="not a directory"):
        with TestClient(create_app(tmp_path / "nothing")):
            pass


def test_the_command_line_checks_its_arguments(capsys):
    with pytest.raises(SystemExit):
        cli.main(["build-bundle", "out", "--dataset", "imagenet"])
    assert "invalid choice" in capsys.readouterr().err
    assert cli.main(["serve", "somewhere", "--fault", "ranking=sometimes"]) == 2
    assert "STAGE=error or STAGE=slow" in capsys.readouterr().err


def test_a_background_service_answers_and_leaves_no_process_behind(bundle_dir):
    import os

    with serving_process.BackgroundService(bundle_dir) as service:
        status, body = service.post("/recommend", {"user_id": 4, "k": 3})
        assert status == 200 and len(body["items"]) == 3
        assert service.post("/recommend", b'{"user_id": "4"}')[0] == 422
        pid = service.process.pid
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(RuntimeError, match="not a directory"):
        serving_process.BackgroundService(bundle_dir.parent / "absent", startup_timeout=60).start()
