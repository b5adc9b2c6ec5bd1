"""The ranking frame (point in time, chapter 2's definitions, labels), the LightGBM ranker and the
two-stage recommender."""

import lightgbm
import numpy as np
import pandas as pd
import pytest
import scipy.stats

from recsys_tutorial import features, split
from recsys_tutorial.models import EASE, ItemKNN, Popularity
from recsys_tutorial.ranking import (
    GBDTRanker,
    NotFittedError,
    TwoStageRecommender,
    build_ranking_frame,
    default_request_times,
    feature_columns,
    feature_groups,
)
from recsys_tutorial.ranking import frame as frame_module

POINT_IN_TIME_GROUPS = ["item", "user", "user_item", "context"]


@pytest.fixture(scope="module")
def history_and_retrievers(small_world):
    history, future = split.temporal_split(small_world.interactions, test_fraction=0.3)
    retrievers = {"EASE": EASE().fit(history), "Popularity": Popularity().fit(history)}
    return history, future, retrievers


def _frame(world, history, retrievers, requests, future=None):
    return build_ranking_frame(history, requests, retrievers, world.items, users=world.users, n_candidates=30,
                               future=future, user_columns=["age_group"])


def test_features_ignore_every_event_at_or_after_the_request_time(small_world, history_and_retrievers):
    history, _, retrievers = history_and_retrievers
    users = np.arange(0, 200, 25)
    # Request times spread over the history, so that a part of it is in each request's future.
    times = history["timestamp"].quantile(np.linspace(0.3, 0.9, len(users))).to_numpy()
    requests = pd.Series(times, index=pd.Index(users, name="user_id"))
    frame = _frame(small_world, history, retrievers, requests)
    columns = feature_columns(frame, POINT_IN_TIME_GROUPS)
    for user, time in requests.items():
        # The same request, with every event at or after its time removed or rewritten.
        past = history[history["timestamp"] < time]
        rewritten = history[history["timestamp"] >= time].assign(
            item_id=lambda f: (f["item_id"] * 7 + 3) % small_world.n_items
        )
        for altered in (past, pd.concat([past, rewritten.iloc[::2]])):
            alone = _frame(small_world, altered, retrievers, requests[[user]])
            expected = frame.loc[frame["user_id"] == user, columns].reset_index(drop=True)
            pd.testing.assert_frame_equal(alone[columns], expected)


def test_features_equal_chapter_two_at_a_common_request_time(small_world, history_and_retrievers):
    history, _, retrievers = history_and_retrievers
    as_of = history["timestamp"].quantile(0.8)
    users = np.arange(0, 300, 2)
    requests = pd.Series(as_of, index=pd.Index(users, name="user_id"))
    frame = _frame(small_world, history, retrievers, requests)
    items = features.item_features(history, as_of, items=small_world.items).loc[frame["item_id"]]
    for name in ["n_events", "n_events_7d", "n_events_30d", "days_since_last_event", "mean_rating",
                 "click_through_rate", "conversion_rate", "log_popularity", "age_days", "is_released"]:
        np.testing.assert_allclose(frame[f"item__{name}"], items[name], rtol=1e-12, err_msg=name)
    people = features.user_features(history, as_of, n_users=small_world.n_users).loc[frame["user_id"]]
    for name in ["n_events", "n_events_7d", "n_events_30d", "mean_rating", "conversion_rate", "tenure_days"]:
        np.testing.assert_allclose(frame[f"user__{name}"], people[name], rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(
        frame["context__days_since_user_last_event"], people["days_since_last_event"], rtol=1e-12
    )
    pairs = features.user_item_features(history, as_of, frame[["user_id", "item_id"]], small_world.items)
    np.testing.assert_allclose(frame["user_item__category_affinity"], pairs["user_category_affinity"], rtol=1e-12)
    np.testing.assert_array_equal(frame["user_item__category_events"], pairs["user_category_events"])


def test_candidates_are_unseen_ranked_and_attributed(small_world, history_and_retrievers):
    history, _, retrievers = history_and_retrievers
    users = np.unique(history["user_id"])[:50]
    frame = _frame(small_world, history, retrievers, default_request_times(history, users))
    assert frame.groupby("user_id").size().max() == 30
    seen = set(zip(history["user_id"], history["item_id"], strict=True))
    assert not any((u, i) in seen for u, i in zip(frame["user_id"], frame["item_id"], strict=True))
    # Each retriever's own top item is its rank 0, and is in the pool.
    top = retrievers["EASE"].recommend(users, k=1)[0][:, 0]
    firsts = frame[frame["retrieval__EASE_rank"] == 0].set_index("user_id")["item_id"]
    np.testing.assert_array_equal(firsts.reindex(users).to_numpy(), top)
    assert set(frame["retrieval__source"].unique()) <= {"EASE", "Popularity"}
    assert frame["retrieval__n_sources"].between(1, 2).all()
    assert set(feature_groups(frame)) == {"retrieval", "item", "user", "user_item", "context"}


def test_requests_in_chunks_give_the_same_frame(small_world, history_and_retrievers, monkeypatch):
    # A large catalogue is scored a few requests at a time; the frame must not depend on how many.
    history, future, retrievers = history_and_retrievers
    requests = default_request_times(history, np.unique(future["user_id"]))
    whole = _frame(small_world, history, retrievers, requests, future)
    monkeypatch.setattr(frame_module, "_SCORES_PER_CHUNK", small_world.n_items * 7)  # 7 requests per chunk
    pd.testing.assert_frame_equal(_frame(small_world, history, retrievers, requests, future), whole)


def test_retrieval_ranks_are_a_stable_sort_capped():
    from recsys_tutorial.models.base import top_k
    from recsys_tutorial.ranking.frame import _ranks_in_top

    scores = np.random.default_rng(0).integers(0, 50, (20, 3000)).astype(float)  # many ties
    scores[:, :5] = -np.inf  # seen items
    exact = np.empty_like(scores, dtype=np.int64)
    np.put_along_axis(exact, np.argsort(-scores, axis=1, kind="stable"), np.arange(3000)[None, :], axis=1)
    rows, items = np.nonzero(np.ones_like(scores, dtype=bool))  # every (row, item) pair as a query
    ranks = _ranks_in_top(top_k(scores, 300)[0], rows, items).reshape(20, 3000)
    np.testing.assert_array_equal(ranks[:, 5:], np.minimum(exact, 300)[:, 5:])


def test_labels_are_the_strongest_later_event():
    history = pd.DataFrame({"user_id": [0, 0, 1], "item_id": [0, 1, 2], "event_type": "view", "rating": np.nan,
                            "timestamp": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-01"])})
    items = pd.DataFrame({"item_id": range(5), "category": ["a", "b", "a", "b", "a"]})
    future = pd.DataFrame({"user_id": [0, 0, 0, 0, 1], "item_id": [3, 3, 4, 2, 3],
                           "event_type": ["view", "purchase", "click", "add_to_cart", "view"], "rating": np.nan,
                           "timestamp": pd.to_datetime(
                               ["2024-01-05", "2024-01-06", "2024-01-05", "2024-01-01", "2024-01-09"]
                           )})
    requests = pd.Series(pd.to_datetime(["2024-01-03", "2024-01-03"]), index=pd.Index([0, 1], name="user_id"))
    # A retriever that knows all five items (from a third user), and the two users' history.
    catalogue = Popularity().fit(pd.concat([history, pd.DataFrame({"user_id": 2, "item_id": range(5)})]))
    frame = build_ranking_frame(history, requests, {"Popularity": catalogue}, items, future=future,
                                labels_after_request=True)
    labels = frame.set_index(["user_id", "item_id"])["label"]
    # User 0: item 3 viewed then bought (4), item 4 clicked (2), item 2's add-to-cart came before the request (0).
    assert labels[(0, 3)] == 4 and labels[(0, 4)] == 2 and labels[(0, 2)] == 0
    assert labels[(1, 3)] == 1 and labels[(1, 0)] == 0
    # By default every event of the future counts, however close to the request.
    everything = build_ranking_frame(history, requests, {"Popularity": catalogue}, items, future=future)
    assert everything.set_index(["user_id", "item_id"]).loc[(0, 2), "label"] == 3


def test_bad_input_is_named():
    history = pd.DataFrame({"user_id": [0], "item_id": [0], "timestamp": pd.to_datetime(["2024-01-01"]),
                            "event_type": "view", "rating": np.nan})
    items = pd.DataFrame({"item_id": [0, 1], "category": ["a", "b"]})
    model = {"Popularity": Popularity().fit(history)}
    requests = pd.Series(pd.to_datetime(["2024-02-01"]), index=pd.Index([0], name="user_id"))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['rating'\]"):
        build_ranking_frame(history.drop(columns="rating"), requests, model, items)
    with pytest.raises(ValueError, match="request ids must be unique"):
        build_ranking_frame(history, pd.concat([requests, requests]), model, items)
    with pytest.raises(ValueError, match="timezone-naive"):
        build_ranking_frame(history, requests.dt.tz_localize("UTC"), model, items)
    with pytest.raises(ValueError, match="prior_strength must be a finite number > 0"):
        build_ranking_frame(history, requests, model, items, prior_strength=0)
    with pytest.raises(ValueError, match="at least one fitted retriever"):
        build_ranking_frame(history, requests, {}, items)
    with pytest.raises(ValueError, match="n_candidates must be a positive integer"):
        build_ranking_frame(history, requests, model, items, n_candidates=0)
    with pytest.raises(ValueError, match="at most 300 items"):
        build_ranking_frame(history, requests, model, items, per_source=301)
    with pytest.raises(ValueError, match="sources must name retrievers"):
        build_ranking_frame(history, requests, model, items, sources=["EASE"])
    with pytest.raises(ValueError, match=r"may not contain any of .*; rename \['EASE, recent'\]"):
        build_ranking_frame(history, requests, {"EASE, recent": next(iter(model.values()))}, items)
    with pytest.raises(ValueError, match="user column 'age'"):
        build_ranking_frame(history, requests, model, items, user_columns=["age"])
    frame = build_ranking_frame(history, requests, model, items)
    with pytest.raises(ValueError, match=r"unknown group\(s\) \['nope'\]"):
        feature_columns(frame, ["nope"])


# ---------------------------------------------------------------------------------------------
# GBDTRanker


def _planted(n_requests=200, size=20, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"user_id": np.repeat(np.arange(n_requests), size),
                          "item__signal": rng.normal(size=n_requests * size),
                          "item__noise": rng.normal(size=n_requests * size)})
    frame["label"] = (frame["item__signal"] + 0.3 * rng.normal(size=len(frame)) > 1.2).astype(np.int64)
    return frame.sample(frac=1.0, random_state=seed)  # requests need not be contiguous


def test_gbdt_ranker_finds_the_planted_feature_and_is_deterministic():
    train, validation = _planted(seed=0), _planted(seed=1)
    ranker = GBDTRanker(random_state=0).fit(train, validation)
    importance = ranker.feature_importance()
    assert importance.index[0] == "item__signal" and importance["item__signal"] > 0.8
    assert importance.sum() == pytest.approx(1.0)
    test = _planted(seed=2)
    scores = ranker.predict(test)
    assert scipy.stats.spearmanr(scores, test["item__signal"]).statistic > 0.8
    assert 1 <= ranker.best_iteration_ <= ranker.n_estimators
    np.testing.assert_array_equal(GBDTRanker(random_state=0).fit(train, validation).predict(test), scores)


def test_gbdt_ranker_errors():
    frame = _planted()
    with pytest.raises(NotFittedError, match="not fitted"):
        GBDTRanker().predict(frame)
    with pytest.raises(ValueError, match="no positive label"):
        GBDTRanker().fit(frame.assign(label=0))
    with pytest.raises(ValueError, match=r"missing column\(s\) \['item__signal'\]"):
        GBDTRanker().fit(frame).predict(frame.drop(columns="item__signal"))
    with pytest.raises(ValueError, match="non-negative integer grades"):
        GBDTRanker().fit(frame.assign(label=frame["label"] * 0.5))


# ---------------------------------------------------------------------------------------------
# TwoStageRecommender


@pytest.fixture(scope="module")
def two_stage(small_world):
    retrievers = {"EASE": EASE(), "ItemKNN": ItemKNN(), "Popularity": Popularity()}
    model = TwoStageRecommender(retrievers=retrievers, n_candidates=40, random_state=0)
    return model.fit(small_world.interactions, users=small_world.users, items=small_world.items), retrievers


def test_two_stage_follows_the_protocol(small_world, two_stage):
    model, given = two_stage
    users = np.array([3, 0, 3, 10_000])  # a repeat and an unknown user
    items, scores = model.recommend(users, k=10)
    assert items.shape == scores.shape == (4, 10)
    np.testing.assert_array_equal(items[0], items[2])
    np.testing.assert_array_equal(items[3], Popularity().fit(small_world.interactions).recommend([10_000], k=10)[0][0])
    seen = set(small_world.interactions.loc[small_world.interactions["user_id"] == 0, "item_id"])
    assert not seen & set(items[1].tolist())
    assert np.all(np.diff(scores[:3], axis=1) <= 0)
    # The given retrievers stay unfitted: the model fitted copies.
    assert not hasattr(given["EASE"], "seen_")
    # Every recommended item came from the candidate pool, ordered by the ranker's score.
    pool = model.candidate_frame([0]).sort_values("score", ascending=False, kind="stable")
    # (the ranker may tie candidates, which either order serves: compare the scores, and the pool's)
    np.testing.assert_allclose(scores[1], pool["score"].to_numpy()[:10])
    assert set(items[1].tolist()) <= set(pool["item_id"].tolist())
    np.testing.assert_allclose(scores[1], pool.set_index("item_id").loc[items[1], "score"].to_numpy())


def test_two_stage_is_reproducible_and_learns_from_the_latest_events(small_world, two_stage):
    model, given = two_stage
    again = TwoStageRecommender(retrievers=given, n_candidates=40, random_state=0)
    again.fit(small_world.interactions, users=small_world.users, items=small_world.items)
    np.testing.assert_array_equal(again.recommend(np.arange(50), k=10)[0], model.recommend(np.arange(50), k=10)[0])
    frame = model.training_frame_
    assert frame["label"].max() > 0 and frame["validation"].any() and not frame["validation"].all()
    # Validation requests are the latest: every one is at or after every training request.
    assert frame.loc[frame["validation"], "request_time"].min() >= frame.loc[~frame["validation"], "request_time"].max()


def test_a_global_label_split_asks_every_user_at_one_cutoff(small_world):
    log = small_world.interactions
    model = TwoStageRecommender(retrievers={"EASE": EASE(), "Popularity": Popularity()}, sources=["EASE"],
                                n_candidates=30, label_split="global", random_state=0)
    model.fit(log, items=small_world.items)
    frame = model.training_frame_
    _, later = split.temporal_split(log, test_fraction=0.2)
    cutoff = later["timestamp"].min()
    # Every request at the cutoff (as a service answers everyone at one moment), one per labelled user.
    assert (frame["request_time"] == cutoff).all()
    assert set(frame["user_id"]) == set(later["user_id"])
    assert frame["request_id"].nunique() == later["user_id"].nunique()
    # Labels: the events after the cutoff, and only those.
    positives = frame.loc[frame["label"] > 0, ["user_id", "item_id"]]
    after = set(map(tuple, later[["user_id", "item_id"]].to_numpy()))
    assert len(positives) and all(pair in after for pair in map(tuple, positives.to_numpy()))
    # Validation: whole users held out at random (all requests share one time).
    held_out = frame.groupby("user_id")["validation"].agg(["min", "max"])
    assert (held_out["min"] == held_out["max"]).all() and 0.1 < held_out["min"].mean() < 0.3
    # Later requests: just after the end of the log, for everyone.
    assert (model.request_times_ == log["timestamp"].max() + pd.Timedelta(seconds=1)).all()
    with pytest.raises(ValueError, match="'temporal', 'global' or 'random'"):
        TwoStageRecommender(label_split="latest").fit(log, items=small_world.items)


def test_two_stage_needs_the_items_table(small_world):
    with pytest.raises(ValueError, match="items table"):
        TwoStageRecommender().fit(small_world.interactions)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        TwoStageRecommender(label_fraction=1.0).fit(small_world.interactions, items=small_world.items)


# ---------------------------------------------------------------------------------------------
# Tables joined by id, requests rather than users


def test_shuffled_tables_give_the_same_frame_and_lists(small_world, history_and_retrievers):
    history, future, retrievers = history_and_retrievers
    requests = default_request_times(history, np.arange(0, small_world.n_users, 7))
    shuffled_items = small_world.items.sample(frac=1, random_state=1)
    shuffled_users = small_world.users.sample(frac=1, random_state=2)
    in_order = build_ranking_frame(history, requests, retrievers, small_world.items, users=small_world.users,
                                   n_candidates=30, future=future, user_columns=["age_group"])
    shuffled = build_ranking_frame(history, requests, retrievers, shuffled_items, users=shuffled_users,
                                   n_candidates=30, future=future, user_columns=["age_group"])
    pd.testing.assert_frame_equal(in_order, shuffled)
    model = TwoStageRecommender(retrievers={"EASE": EASE(), "Popularity": Popularity()}, n_candidates=30)
    fitted = model.fit(history, users=small_world.users, items=small_world.items).recommend(np.arange(40), k=10)
    again = TwoStageRecommender(retrievers={"EASE": EASE(), "Popularity": Popularity()}, n_candidates=30)
    refitted = again.fit(history, users=shuffled_users, items=shuffled_items).recommend(np.arange(40), k=10)
    np.testing.assert_array_equal(fitted[0], refitted[0])


def test_a_table_missing_or_repeating_ids_is_refused(small_world, history_and_retrievers):
    history, _, retrievers = history_and_retrievers
    requests = default_request_times(history, [0, 1])
    items = small_world.items
    with pytest.raises(ValueError, match=r"ids up to \d+ are used; missing"):
        build_ranking_frame(history, requests, retrievers, items[items["item_id"] < len(items) - 5])
    with pytest.raises(ValueError, match="several rows for item_id 3"):
        repeated = pd.concat([items, items.iloc[[3]]]).assign(item_id=lambda t: [*range(len(items)), 3])
        build_ranking_frame(history, requests, retrievers, repeated)
    with pytest.raises(ValueError, match="no 'item_id' column"):
        build_ranking_frame(history, requests, retrievers, items.drop(columns="item_id"))
    with pytest.raises(ValueError, match=r"users\).*missing"):
        build_ranking_frame(history, requests, retrievers, items, users=small_world.users.iloc[:1],
                            user_columns=["age_group"])


def test_two_cutoffs_concatenated_are_two_queries_with_their_own_labels(small_world):
    log = small_world.interactions
    cutoffs = [log["timestamp"].quantile(q) for q in (0.6, 0.8)]
    users = np.arange(0, small_world.n_users, 5)
    frames = []
    for cutoff, end in zip(cutoffs, [cutoffs[1], log["timestamp"].max()], strict=True):
        history, future = log[log["timestamp"] < cutoff], log[(log["timestamp"] >= cutoff) & (log["timestamp"] <= end)]
        retrievers = {"Popularity": Popularity().fit(history)}
        requests = pd.Series(cutoff, index=pd.Index(users, name="user_id"))
        frames.append(build_ranking_frame(history, requests, retrievers, small_world.items, n_candidates=20,
                                          future=future))
    both = pd.concat(frames, ignore_index=True)
    per_user = both.groupby("user_id")["request_id"].nunique()
    assert (per_user == 2).all()
    # Each query keeps the labels of its own future.
    for frame in frames:
        mine = both[both["request_id"].isin(frame["request_id"])]
        np.testing.assert_array_equal(mine["label"].to_numpy(), frame["label"].to_numpy())
    # The ranker sees one query per (user, cutoff): as many as the two frames have requests together.
    _, _, sizes = _query_sizes(both)
    assert len(sizes) == both["request_id"].nunique() == 2 * len(users)
    assert GBDTRanker(n_estimators=5).fit(both).best_iteration_ == 5


def _query_sizes(frame):
    from recsys_tutorial.ranking.gbdt import _grouped

    return _grouped(frame, feature_columns(frame))


def test_colliding_request_ids_are_refused():
    frame = _planted(n_requests=4, size=5)
    frame["request_time"] = pd.Timestamp("2024-01-01")
    frame["request_id"] = 0  # four users under one id: four queries merged into one
    with pytest.raises(ValueError, match="span several users"):
        GBDTRanker(n_estimators=5).fit(frame)


def test_ranked_lists_answer_repeated_users_and_refuse_several_requests():
    frame = pd.DataFrame({"user_id": [0, 0, 1], "item_id": [2, 3, 1]})
    np.testing.assert_array_equal(frame_module.ranked_lists(frame, [0, 0, 1], scores=[0.2, 0.5, 0.1], k=2),
                                  [[3, 2], [3, 2], [1, -1]])
    twice = frame.assign(request_id=["a", "b", "c"])
    with pytest.raises(ValueError, match="several requests of user"):
        frame_module.ranked_lists(twice, [0, 1])


def test_fitted_two_stage_pickles_without_its_training_frame(two_stage):
    import pickle

    model, _ = two_stage
    restored = pickle.loads(pickle.dumps(model))
    assert not hasattr(restored, "training_frame_") and hasattr(model, "training_frame_")
    np.testing.assert_array_equal(restored.recommend(np.arange(20), k=10)[0], model.recommend(np.arange(20), k=10)[0])


def test_pointwise_objective_is_lightgbms_binary_classifier_on_the_same_rows():
    """objective="binary": the same trees LightGBM's classifier grows on label > 0, grades ignored."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"user_id": np.repeat(np.arange(60), 12), "item__x": rng.normal(size=720),
                          "item__z": rng.normal(size=720)})  # fmt: skip
    frame["label"] = np.where(frame["item__x"] + 0.5 * rng.normal(size=720) > 1, rng.integers(1, 4, 720), 0)
    ranker = GBDTRanker(objective="binary", n_estimators=25, random_state=0).fit(frame)
    classifier = lightgbm.LGBMClassifier(
        n_estimators=25, learning_rate=0.03, num_leaves=15, min_child_samples=50, subsample=0.8, subsample_freq=1,
        colsample_bytree=0.8, reg_lambda=1.0, random_state=0, n_jobs=1, deterministic=True, force_row_wise=True,
        verbose=-1,
    ).fit(frame[["item__x", "item__z"]], frame["label"] > 0)  # fmt: skip
    np.testing.assert_allclose(ranker.predict(frame), classifier.predict_proba(frame[["item__x", "item__z"]])[:, 1])
    listwise = GBDTRanker(n_estimators=25, random_state=0).fit(frame)
    assert not np.allclose(listwise.predict(frame), ranker.predict(frame))  # the grades and lists change the trees
    with pytest.raises(ValueError, match="objective must be 'lambdarank' or 'binary', got 'mse'"):
        GBDTRanker(objective="mse").fit(frame)
