"""Position bias by randomisation and inverse-propensity-weighted click queries
(`recsys_tutorial.ranking.unbiased`), and GBDTRanker's sample weights."""

import lightgbm
import numpy as np
import pandas as pd
import pytest

from recsys_tutorial import simulation
from recsys_tutorial.ranking import (
    GBDTRanker,
    click_queries,
    examination_by_position,
    shuffle_intervention,
    swap_intervention,
)


def test_shuffle_is_a_uniform_permutation_of_each_slate():
    slates = np.tile(np.arange(4), (40_000, 1))
    shuffled = shuffle_intervention(slates, 0)
    assert (np.sort(shuffled, axis=1) == slates).all()
    # every item at every position a quarter of the time
    share = np.stack([(shuffled == item).mean(axis=0) for item in range(4)])
    np.testing.assert_allclose(share, 0.25, atol=0.01)


def test_swap_moves_only_the_top_item_and_the_one_it_swaps_with():
    slates = np.tile(np.arange(10, 15), (5_000, 1))
    swapped, moved_to = swap_intervention(slates, 1)
    rows = np.arange(len(slates))
    assert (swapped[rows, moved_to - 1] == 10).all()
    assert (swapped[rows, 0] == slates[rows, moved_to - 1]).all()
    assert ((swapped != slates).sum(axis=1) == np.where(moved_to == 1, 0, 2)).all()
    assert np.bincount(moved_to)[1:] == pytest.approx(np.full(5, 1_000), rel=0.1)


def test_examination_by_position_by_hand():
    # position 1: 2 clicks of 4 (0.5); position 2: 1 of 4 (0.25); position 3: none of 2
    positions = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3]
    clicks = [1, 1, 0, 0, 1, 0, 0, 0, 0, 0]
    table = examination_by_position(positions, clicks)
    assert table["rows"].tolist() == [4, 4, 2] and table["clicks"].tolist() == [2, 1, 0]
    assert table["examination"].tolist() == [1.0, 0.5, 0.0]
    # se(log r̂₂) = √((1 − .25)/1 + (1 − .5)/2) = 1
    assert table.loc[2, "ci_low"] == pytest.approx(0.5 * np.exp(-1.959964))
    assert table.loc[2, "ci_high"] == pytest.approx(0.5 * np.exp(1.959964))
    assert table.loc[3, "ci_high"] == np.inf or np.isnan(table.loc[3, "ci_high"])
    with pytest.raises(ValueError, match="no click at position 1"):
        examination_by_position([1, 2], [0, 1])
    with pytest.raises(ValueError, match="0 or 1"):
        examination_by_position([1, 2], [2, 1])


def test_shuffled_clicks_recover_the_simulators_examination(small_world):
    simulator = simulation.ClickSimulator(small_world, slate_size=5, examination_exponent=1.0)
    rng = np.random.default_rng(0)
    users = simulator.sample_users(40_000, rng)
    slates = simulation.GreedyPolicy(simulator.attraction).top(users, 5)
    shuffled = shuffle_intervention(slates, rng)
    clicks = simulator.clicks(users, shuffled, rng)
    table = examination_by_position(np.tile(np.arange(1, 6), len(users)), clicks.ravel())
    truth = simulator.examination
    assert ((table["ci_low"] < truth) & (truth < table["ci_high"])).sum() >= 4
    np.testing.assert_allclose(table["examination"], truth, atol=0.05)
    # without randomisation, the best items sit on top: the ratio overstates the drop
    unshuffled = simulator.clicks(users, slates, rng)
    naive = examination_by_position(np.tile(np.arange(1, 6), len(users)), unshuffled.ravel())
    assert naive.loc[5, "examination"] < table.loc[5, "ci_low"]


def test_click_queries_by_hand():
    log = pd.DataFrame({
        "round": [0, 0, 0, 1, 1, 1, 2, 2, 2],
        "user_id": [4, 4, 4, 5, 5, 5, 6, 6, 6],
        "item_id": [1, 2, 3, 3, 1, 2, 2, 3, 1],
        "position": [1, 2, 3] * 3,
        "click": [0, 1, 1, 1, 0, 0, 0, 0, 0],
    })  # fmt: skip
    frame = click_queries(log, examination=pd.Series([1.0, 0.5, 0.2], index=[1, 2, 3]))
    # round 0 has two clicks: two queries, each the click against the unclicked item 1;
    # round 1 one click; round 2 none, so no query
    assert frame["request_id"].tolist() == [0, 0, 1, 1, 2, 2, 2]
    assert frame["item_id"].tolist() == [1, 2, 1, 3, 3, 1, 2]
    assert frame["label"].tolist() == [0, 1, 0, 1, 1, 0, 0]
    assert frame["weight"].tolist() == pytest.approx([2, 2, 5, 5, 1, 1, 1])
    assert (click_queries(log)["weight"] == 1).all()
    with pytest.raises(ValueError, match="no examination probability for position 3"):
        click_queries(log, examination=[1.0, 0.5])
    with pytest.raises(ValueError, match="no click"):
        click_queries(log.assign(click=0))
    with pytest.raises(ValueError, match="missing column"):
        click_queries(log.drop(columns="round"))


def _frame(seed=0, n_requests=80, size=8):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"request_id": np.repeat(np.arange(n_requests), size),
                          "item__x": rng.normal(size=n_requests * size),
                          "item__z": rng.normal(size=n_requests * size)})  # fmt: skip
    frame["user_id"] = frame["request_id"] // 2
    frame["label"] = (frame["item__x"] + rng.normal(size=len(frame)) > 1).astype(int)
    return frame


def test_sample_weights_are_lightgbms_row_weights_in_the_frames_order():
    frame = _frame()
    weight = np.random.default_rng(1).uniform(0.2, 5.0, len(frame))
    # shuffle the rows: the weights must follow their rows into LightGBM's query order
    shuffled = frame.sample(frac=1.0, random_state=0)
    # (no row or column sampling, which depends on the row order)
    ranker = GBDTRanker(n_estimators=20, subsample=1.0, colsample_bytree=1.0, random_state=0)
    ranker.fit(shuffled, sample_weight=weight[shuffled.index])
    reference = lightgbm.LGBMRanker(
        objective="lambdarank", metric="ndcg", n_estimators=20, learning_rate=0.03, num_leaves=15,
        min_child_samples=50, subsample=1.0, subsample_freq=1, colsample_bytree=1.0, reg_lambda=1.0,
        random_state=0, n_jobs=1, deterministic=True, force_row_wise=True, verbose=-1,
    )  # fmt: skip
    # LambdaRank breaks the first round's ties by row order: the reference sees each query's rows
    # in the shuffled order too, with each row's own weight
    grouped = shuffled.sort_values("request_id", kind="stable")
    reference.fit(grouped[["item__x", "item__z"]], grouped["label"], group=np.full(80, 8),
                  sample_weight=weight[grouped.index])  # fmt: skip
    np.testing.assert_allclose(ranker.predict(frame), reference.predict(frame[["item__x", "item__z"]]), rtol=1e-6,
                               atol=1e-9)
    unweighted = GBDTRanker(n_estimators=20, random_state=0).fit(shuffled)
    assert not np.allclose(unweighted.predict(frame), ranker.predict(frame))
    ones = GBDTRanker(n_estimators=20, random_state=0).fit(shuffled, sample_weight=np.ones(len(frame)))
    np.testing.assert_allclose(ones.predict(frame), unweighted.predict(frame))


def test_bad_sample_weights_are_refused():
    frame = _frame()
    with pytest.raises(ValueError, match="one weight per row"):
        GBDTRanker(n_estimators=5).fit(frame, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="finite and non-negative"):
        GBDTRanker(n_estimators=5).fit(frame, sample_weight=-np.ones(len(frame)))
