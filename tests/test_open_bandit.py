"""The Open Bandit Dataset loader: the real sample's shape and propensities, the cache, and named
errors for bad input and broken files."""

import shutil

import numpy as np
import pandas as pd
import pytest

from recsys_tutorial.data import load_open_bandit, open_bandit


@pytest.fixture(scope="module")
def cached(tmp_path_factory):
    """A cache folder holding the dataset, fetched once (from the user's cache if it has it)."""
    folder = tmp_path_factory.mktemp("cache")
    load_open_bandit(cache_dir=folder)
    return folder


@pytest.mark.parametrize("policy", ["random", "bts"])
@pytest.mark.parametrize("campaign", ["all", "men", "women"])
def test_the_real_sample(cached, policy, campaign):
    data = load_open_bandit(policy, campaign, cache_dir=cached)
    log = data.log
    assert len(log) == 10_000 and data.n_items == open_bandit.CAMPAIGNS[campaign]
    assert log["timestamp"].is_monotonic_increasing and str(log["timestamp"].dt.tz) == "UTC"
    assert set(log["position"]) == {1, 2, 3} and set(log["click"]) == {0, 1}
    assert log["item_id"].nunique() == data.n_items
    if policy == "random":  # uniform over the campaign's items at each position
        np.testing.assert_allclose(log["propensity"], 1 / data.n_items)
    else:
        assert log["propensity"].between(0, 1, inclusive="right").all() and log["propensity"].nunique() > 100
    affinities = [column for column in log.columns if column.startswith("user_item_affinity_")]
    assert affinities[-1] == f"user_item_affinity_{data.n_items - 1}"


def test_a_cached_copy_is_used_without_pip(cached, monkeypatch):
    def refuse(*args):
        raise AssertionError("pip must not run when the copy is cached")

    monkeypatch.setattr(open_bandit, "pip_download", refuse)
    assert len(load_open_bandit("bts", "men", cache_dir=cached).log) == 10_000


def test_no_wheel_raises_a_runtime_error_saying_how_to_provide_it(tmp_path, monkeypatch):
    def offline(*args):
        raise RuntimeError("no network")

    monkeypatch.setattr(open_bandit, "pip_download", offline)
    with pytest.raises(RuntimeError, match=r"pip download --no-deps obp==0\.4\.1 --python-version 3\.10"):
        load_open_bandit(cache_dir=tmp_path)
    assert not (tmp_path / "open_bandit_dataset").exists()


def test_a_partial_copy_is_never_written_over(cached, tmp_path, monkeypatch):
    partial = tmp_path / "open_bandit_dataset"
    shutil.copytree(cached / "open_bandit_dataset", partial)
    (partial / "bts" / "men" / "men.csv").unlink()
    with pytest.raises(RuntimeError, match="exists but lacks some of the dataset's files; move it aside"):
        load_open_bandit(cache_dir=tmp_path)
    assert (partial / "random" / "all" / "all.csv").is_file()  # the user's files are untouched


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda frame: frame.assign(position=frame["position"].replace(3, 4)), r"break the rule position in 1\.\.3"),
        (lambda frame: frame.assign(propensity_score=0.0), r"break the rule propensity in \(0, 1\]"),
        (lambda frame: frame.assign(item_id=frame["item_id"] + 100), "break the rule item_id in"),
        (lambda frame: frame.drop(columns="click"), "missing"),
        (lambda frame: frame.iloc[:-1], "expected 10,000 rows"),
    ],
)
def test_broken_files_are_named(cached, tmp_path, change, message):
    copy = tmp_path / "open_bandit_dataset"
    shutil.copytree(cached / "open_bandit_dataset", copy)
    path = copy / "random" / "all" / "all.csv"
    change(pd.read_csv(path, index_col=0)).to_csv(path)
    with pytest.raises(ValueError, match=message):
        load_open_bandit("random", "all", cache_dir=tmp_path)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [({"policy": "greedy"}, "unknown policy 'greedy'"), ({"campaign": "kids"}, "unknown campaign 'kids'")],
)
def test_unknown_policy_or_campaign(arguments, message):
    with pytest.raises(ValueError, match=message):
        load_open_bandit(**arguments)
