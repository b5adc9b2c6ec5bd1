"""Checks for chapter 4c (nine models on MovieLens-100K)."""

from __future__ import annotations

from functools import cache, lru_cache

from . import CheckResult, exercise, paired_difference_verdict

__all__ = ["check_1", "check_2"]

#: The chapter's settings of the two models the exercises vary.
CHAPTER_MF = {"learning_rate": 0.005, "random_state": 0}
CHAPTER_ITEM2VEC = {"window": 5, "half_life": 1000, "n_epochs": 3, "random_state": 0}


@lru_cache(maxsize=1)
def _movielens_split():
    from .. import split
    from ..data import load_movielens_100k

    return split.per_user_random_split(load_movielens_100k().interactions, test_fraction=0.25, random_state=0)


@cache
def _per_user_ndcg(name: str):
    """Per-user NDCG@10 on the chapter's test split of a model fitted on its training split."""
    from .. import evaluation
    from ..models import Item2Vec, MatrixFactorization

    models = {
        "MF (BPR)": lambda: MatrixFactorization(**CHAPTER_MF),
        "MF (BPR), uniform negatives": lambda: MatrixFactorization(**CHAPTER_MF, exclude_positives=False),
        "Item2Vec": lambda: Item2Vec(**CHAPTER_ITEM2VEC),
        "Item2Vec, half-life 10": lambda: Item2Vec(**{**CHAPTER_ITEM2VEC, "half_life": 10}),
    }
    train, test = _movielens_split()
    return evaluation.evaluate(models[name]().fit(train), train, test, per_user=True)["ndcg@10"]


def _paired(a: str, b: str):
    from .. import evaluation

    return evaluation.paired_test(_per_user_ndcg(a), _per_user_ndcg(b))


@exercise
def check_1(difference) -> CheckResult:
    """Exercise 1: paired mean NDCG@10 difference, BPR with redrawn negatives − BPR with uniform ones."""
    test = _paired("MF (BPR)", "MF (BPR), uniform negatives")
    return paired_difference_verdict(
        difference, test, "the chapter's model (redrawn negatives)", "the uniform one",
        conclusion="redrawing the negatives that are positives helps." if test["ci low"] > 0
        else "the redraw makes no difference this seed can detect.",
        hint="fit MatrixFactorization(learning_rate=0.005, exclude_positives=False, random_state=0) on train, "
        "evaluate it with per_user=True, and pass per_user['MF (BPR)'] first to evaluation.paired_test.",
    )


@exercise
def check_2(difference) -> CheckResult:
    """Exercise 2: paired mean NDCG@10 difference, the chapter's Item2Vec − Item2Vec(half_life=10)."""
    return paired_difference_verdict(
        difference, _paired("Item2Vec", "Item2Vec, half-life 10"), "the chapter's item2vec (half-life 1,000)",
        "the half-life-10 one",
        conclusion="under a random split the latest items are no better a guide than the oldest, so a short "
        "memory throws information away.",
        hint="fit Item2Vec(window=5, half_life=10, n_epochs=3, random_state=0) on train, evaluate it with "
        "per_user=True, and pass per_user['Item2Vec'] first to evaluation.paired_test.",
    )
