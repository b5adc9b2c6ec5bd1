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
