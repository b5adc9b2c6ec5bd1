"""Checks for chapter 4b (item2vec, LightGCN and SASRec)."""

from __future__ import annotations

from functools import cache, lru_cache

from . import CheckResult, exercise, paired_difference_verdict

__all__ = ["check_1", "check_2"]


@lru_cache(maxsize=1)
def _synthetic_split():
    from .. import split
    from ..data import make_synthetic

    return split.per_user_temporal_split(make_synthetic(random_state=0).interactions, test_fraction=0.2)


def _per_user_ndcg(model):
    from .. import evaluation

    train, test = _synthetic_split()
    return evaluation.evaluate(model.fit(train), train, test, per_user=True)["ndcg@10"]


@cache
def _chapter_model(name: str):
    """Per-user NDCG@10 of a model fitted as in the chapter."""
    from ..models import Item2Vec, LightGCN, SASRec

    models = {
        "SASRec": lambda: SASRec(max_len=20, n_epochs=5, learning_rate=0.02, random_state=0),
        "LightGCN": lambda: LightGCN(n_epochs=20, random_state=0),
        "Item2Vec": lambda: Item2Vec(n_epochs=3, random_state=0),
        "Item2Vec, half-life 1": lambda: Item2Vec(half_life=1, n_epochs=3, random_state=0),
        "LightGCN, 0 layers": lambda: LightGCN(n_layers=0, n_epochs=20, random_state=0),
    }
    return _per_user_ndcg(models[name]())


def _mean_difference(a: str, b: str) -> float:
    return float(_paired(a, b)["mean difference"])


def _paired(a: str, b: str):
    from .. import evaluation

    return evaluation.paired_test(_chapter_model(a), _chapter_model(b))


@exercise
def check_1(difference) -> CheckResult:
    """Exercise 1: paired mean NDCG@10 difference, SASRec − Item2Vec(half_life=1)."""
    test = _paired("SASRec", "Item2Vec, half-life 1")
    return paired_difference_verdict(
        difference, test, "SASRec", "the half-life-1 model",
        conclusion="a recency-weighted item2vec that looks mostly at the last items "
        + ("beats SASRec here." if test["ci high"] < 0 else "ties SASRec here." if test["ci low"] < 0
           else "does not close the whole gap."),
        hint="fit Item2Vec(half_life=1, n_epochs=3, random_state=0) on train, evaluate it with per_user=True, and pass "
        "per_user['SASRec'] first to evaluation.paired_test.",
        slips=[(_mean_difference("SASRec", "Item2Vec"), "that is SASRec against the default item2vec (half-life 10); "
                "refit with half_life=1 (and n_epochs=3).")],
    )


@exercise
def check_2(difference) -> CheckResult:
    """Exercise 2: paired mean NDCG@10 difference, LightGCN (3 layers) − LightGCN (0 layers)."""
    return paired_difference_verdict(
        difference, _paired("LightGCN", "LightGCN, 0 layers"), "three layers", "zero layers",
        conclusion="same loss, parameters and epochs: the difference is what propagation adds.",
        hint="fit LightGCN(n_layers=0, n_epochs=20, random_state=0) on train, evaluate with per_user=True, and "
        "compare it with per_user['LightGCN'] using evaluation.paired_test.",
    )
