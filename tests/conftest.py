import pytest

from recsys_tutorial.data import make_synthetic


@pytest.fixture(scope="session")
def world():
    """The default synthetic world, generated once per test session."""
    return make_synthetic(random_state=0)


@pytest.fixture(scope="session")
def small_world():
    return make_synthetic(n_users=500, n_items=200, n_interactions=5_000, random_state=1)
