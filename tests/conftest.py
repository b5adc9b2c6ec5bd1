import pytest

from recsys_tutorial.data import make_synthetic


@pytest.fixture(scope="session")
def world():
    """The default synthetic world, generated once per test session."""
    return make_synthetic(random_state=0)


@pytest.fixture(scope="session")
def small_world():
    return make_synthetic(n_users=500, n_items=200, n_interactions=5_000, random_state=1)


@pytest.fixture(scope="session")
def movielens_temporal():
    """MovieLens-100K, its training split (each user's latest 20 % held out), test users, their relevance.

    The protocol of chapters 4d, 7, 8 and 12.
    """
    from recsys_tutorial import evaluation, split
    from recsys_tutorial.data import load_movielens_100k

    movielens = load_movielens_100k()
    train, test = split.per_user_temporal_split(movielens.interactions, test_fraction=0.2)
    users, relevant = evaluation.held_out_users(test, movielens.n_users, movielens.n_items, seen_in=train)
    return movielens, train, users, relevant


# --- the small world and bundle of tests/test_serving.py and tests/test_serving_http.py -------
# Module-scoped: each test module builds its own copy, and may damage its files freely.


@pytest.fixture(scope="module")
def serving_world():
    return make_synthetic(n_users=400, n_items=300, n_interactions=6_000, random_state=3)


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory, serving_world):
    from recsys_tutorial.serving.build import build_bundle

    return build_bundle(tmp_path_factory.mktemp("bundles") / "small", data=serving_world, n_candidates=40)


@pytest.fixture(scope="module")
def bundle(bundle_dir):
    from recsys_tutorial.serving.bundle import load_bundle

    return load_bundle(bundle_dir)


@pytest.fixture(scope="module")
def snapshot_time(bundle):
    """The bundle's snapshot time: the fixed clock of the tests' request paths."""
    import pandas as pd

    return pd.Timestamp(bundle.manifest["as_of"])
