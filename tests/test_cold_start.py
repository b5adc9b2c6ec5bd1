"""Cold start from side features: TwoTower scores users and items that have features but no history."""

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial.models import Popularity, TwoTower
from recsys_tutorial.models.base import top_k

N_USERS, N_ITEMS = 60, 20  # users 0..59 have features; items 0..19 have interactions
NEW_ITEM = 20  # a group-A item known only from the catalogue
COLD_IN_RANGE = np.array([10, 11, 20, 21])  # no history, ids inside the training matrix
COLD_BEYOND = np.arange(40, N_USERS)  # no history, ids past the training matrix
BEYOND_TABLE = 100  # no history and no features


def group_world():
    """Even users (group A) take items 0-9 only, odd users (group B) items 10-19; some users held out.

    Popularity is one list for everyone, so it cannot serve both groups; the user's group (a
    feature) is all a model has to tell a new user's tastes.
    """
    rng = np.random.default_rng(0)
    held_out = set(COLD_IN_RANGE) | set(COLD_BEYOND)
    rows = []
    for user in range(40):
        if user in held_out:
            continue
        offset = 0 if user % 2 == 0 else 10
        rows += [(user, offset + item) for item in rng.choice(10, size=6, replace=False)]
    train = pd.DataFrame(rows, columns=["user_id", "item_id"])
    users = pd.DataFrame({"group": np.where(np.arange(N_USERS) % 2 == 0, "A", "B")})
    items = pd.DataFrame({"category": ["a"] * 10 + ["b"] * 10 + ["a"]})  # item 20: features only
    return train, users, items


def fit_cold_model(id_dropout=0.5, **settings):
    train, users, items = group_world()
    params = dict(n_factors=8, hidden=(16,), n_epochs=40, batch_size=32, learning_rate=0.02, id_dropout=id_dropout)
    return TwoTower(**{**params, **settings}).fit(train, user_features=users, item_features=items)


@pytest.fixture(scope="module")
def cold_model():
    return fit_cold_model()


def test_new_users_get_items_of_their_group_where_popularity_cannot_tell(cold_model):
    cold = np.r_[COLD_IN_RANGE, COLD_BEYOND]
    items, _ = cold_model.recommend(cold, k=10)
    in_group_a = (items <= 9) | (items == NEW_ITEM)
    share_of_own_group = np.where(cold[:, None] % 2 == 0, in_group_a, ~in_group_a).mean(axis=1)
    assert share_of_own_group.min() >= 0.8, share_of_own_group
    train, _, _ = group_world()
    popular, _ = Popularity().fit(train).recommend(cold, k=10)
    assert (popular == popular[0]).all(), "popularity: one list for both groups"


def test_cold_users_agree_across_recommend_score_items_and_the_slow_reference(cold_model):
    users = np.r_[0, 1, COLD_IN_RANGE, COLD_BEYOND[:5], BEYOND_TABLE, 39]  # known, cold, no features
    for exclude in (True, False):
        fast_items, fast_scores = cold_model.recommend(users, k=7, exclude_seen=exclude)
        slow_items, slow_scores = cold_model._recommend_loop(users, k=7, exclude_seen=exclude)
        np.testing.assert_array_equal(fast_items, slow_items)
        np.testing.assert_allclose(fast_scores, slow_scores, rtol=1e-12)
    no_exclusion = cold_model.recommend(users, k=7, exclude_seen=False)
    from_scores = top_k(cold_model.score_items(users), 7)
    for a, b in zip(no_exclusion, from_scores, strict=True):
        np.testing.assert_array_equal(a, b)


def test_cold_users_are_scored_by_the_feature_path(cold_model):
    scores = cold_model.score_items(np.r_[COLD_IN_RANGE, COLD_BEYOND])
    assert not (scores == cold_model.item_popularity_).all(axis=1).any(), "not the popularity fallback"
    # Two users of one group have the same features, hence the same scores.
    np.testing.assert_array_equal(cold_model.score_items([40])[0], cold_model.score_items([42])[0])
    # Users without history inside the training matrix: their exported vector is the one they are scored with.
    np.testing.assert_array_equal(cold_model.user_factors_[COLD_IN_RANGE], cold_model.cold_user_factors_[COLD_IN_RANGE])


def test_an_item_known_only_from_its_features_can_be_recommended(cold_model):
    assert cold_model.n_items_ == NEW_ITEM + 1 and cold_model.item_embeddings().shape[0] == NEW_ITEM + 1
    assert cold_model.item_popularity_[NEW_ITEM] == 0
    scores = cold_model.score_items(np.arange(N_USERS))
    assert np.isfinite(scores[:, NEW_ITEM]).all()
    group_a = np.arange(0, 40, 2)
    assert (scores[group_a, NEW_ITEM] > scores[group_a, 10:20].max(axis=1)).all(), "an A item, above every B item"
    items, _ = cold_model.recommend(group_a, k=10)
    assert (items == NEW_ITEM).any(axis=1).mean() > 0.5


def test_users_without_features_get_popularity(cold_model):
    train, _, items = group_world()
    popular = top_k(cold_model.item_popularity_[None, :].astype(float), 5)[0][0]
    assert cold_model.recommend([BEYOND_TABLE], k=5)[0][0].tolist() == popular.tolist()
    without_user_features = TwoTower(n_factors=4, hidden=(8,), n_epochs=2, id_dropout=0.5)
    without_user_features.fit(train, item_features=items)
    items_out, _ = without_user_features.recommend(np.r_[COLD_IN_RANGE, 45], k=5)
    assert (items_out == popular).all()
    assert len(without_user_features.cold_user_factors_) == 0


def test_save_and_load_keep_cold_scoring(cold_model, tmp_path):
    cold_model.save(tmp_path / "two_tower.model")
    loaded = TwoTower.load(tmp_path / "two_tower.model")
    users = np.r_[COLD_IN_RANGE, COLD_BEYOND, BEYOND_TABLE]
    for a, b in zip(cold_model.recommend(users, k=5), loaded.recommend(users, k=5), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5, "0.5", True, float("nan")])
def test_bad_id_dropout_is_named(bad):
    train, users, items = group_world()
    with pytest.raises(ValueError, match=r"id_dropout must be a number in \[0, 1\)"):
        TwoTower(n_epochs=1, id_dropout=bad).fit(train, user_features=users)


def test_id_dropout_zero_learns_exactly_what_it_learnt_without_extra_user_rows():
    """Feature rows for users beyond the interactions add cold-start vectors, and change nothing else.

    No dropout masks are drawn at id_dropout=0, and the extra rows' values are ones the training
    users have, so the codes, the initial weights and every batch are those of a fit without them.
    """
    train, users, items = group_world()
    settings = dict(n_factors=8, hidden=(16,), n_epochs=5, batch_size=32, id_dropout=0.0)
    trained_users = users.loc[: train["user_id"].max()]
    narrow = TwoTower(**settings).fit(train, user_features=trained_users, item_features=items)
    wide = TwoTower(**settings).fit(train, user_features=users, item_features=items)
    np.testing.assert_array_equal(narrow.user_factors_, wide.user_factors_)
    np.testing.assert_array_equal(narrow.item_factors_, wide.item_factors_)
    assert narrow.history_.equals(wide.history_)
    # without id dropout the feature path never learnt to stand alone: no cold scoring, popularity instead
    assert len(narrow.cold_user_factors_) == len(wide.cold_user_factors_) == 0


def test_id_dropout_is_reproducible_and_changes_training():
    a, b = fit_cold_model(n_epochs=3), fit_cold_model(n_epochs=3)
    np.testing.assert_array_equal(a.user_factors_, b.user_factors_)
    assert not np.array_equal(a.user_factors_, fit_cold_model(id_dropout=0.0, n_epochs=3).user_factors_)


def test_side_tables_must_be_indexed_by_integer_ids():
    train, users, items = group_world()
    with pytest.raises(ValueError, match="item_features must be indexed by integer id"):
        TwoTower(n_epochs=1).fit(train, item_features=items.set_axis([f"i{j}" for j in range(len(items))]))
    with pytest.raises(ValueError, match="user_features must be a DataFrame"):
        TwoTower(n_epochs=1).fit(train, user_features=users["group"])
