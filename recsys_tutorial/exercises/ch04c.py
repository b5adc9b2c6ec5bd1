"""Checks for chapter 4c (nine models on MovieLens-100K).

Every exercise uses the chapter's split: per user, a random 25 % of the ratings held out
(`split.per_user_random_split`, ``random_state=0``), the models fitted on the rest.
"""

from __future__ import annotations

from functools import cache, lru_cache

from . import CheckResult, as_number, close, exercise, numeric_verdict, paired_difference_verdict, wrong

__all__ = ["check_1", "check_2", "check_3", "check_4"]

#: The chapter's settings of the models the exercises vary.
CHAPTER_MF = {"learning_rate": 0.005, "random_state": 0}
CHAPTER_ITEM2VEC = {"window": 5, "half_life": 1000, "n_epochs": 3, "random_state": 0}
#: Exercise 4: negatives per held-out item (the chapter's lab draws 100).
MORE_NEGATIVES = 300


@lru_cache(maxsize=1)
def _movielens_split():
    from .. import split
    from ..data import load_movielens_100k

    return split.per_user_random_split(load_movielens_100k().interactions, test_fraction=0.25, random_state=0)


@cache
def _model(name: str):
    """A model of the exercises, fitted on the chapter's training split."""
    from ..models import EASE, Item2Vec, MatrixFactorization

    models = {
        "EASE": lambda: EASE(),
        "MF (BPR)": lambda: MatrixFactorization(**CHAPTER_MF),
        "MF (BPR), uniform negatives": lambda: MatrixFactorization(**CHAPTER_MF, exclude_positives=False),
        "MF (BPR), seed 1": lambda: MatrixFactorization(**{**CHAPTER_MF, "random_state": 1}),
        "Item2Vec": lambda: Item2Vec(**CHAPTER_ITEM2VEC),
        "Item2Vec, half-life 10": lambda: Item2Vec(**{**CHAPTER_ITEM2VEC, "half_life": 10}),
    }
    train, _ = _movielens_split()
    return models[name]().fit(train)


@cache
def _per_user_ndcg(name: str):
    """Per-user NDCG@10 on the chapter's test split of a model fitted on its training split."""
    from .. import evaluation

    train, test = _movielens_split()
    return evaluation.evaluate(_model(name), train, test, per_user=True)["ndcg@10"]


def _paired(a: str, b: str):
    from .. import evaluation

    return evaluation.paired_test(_per_user_ndcg(a), _per_user_ndcg(b))


@cache
def _sampled(n_negatives: int):
    """Sampled hit rate and NDCG at 10 of EASE and MF (BPR), indexed by model: one draw of
    ``n_negatives`` per held-out item, ``random_state=0`` (what `evaluation.sampled_evaluate` draws)."""
    from .. import evaluation

    train, test = _movielens_split()
    names = ["EASE", "MF (BPR)"]
    draw = evaluation.sampled_comparison({name: _model(name) for name in names}, train, test,
                                         n_negatives=n_negatives, n_draws=1, random_state=0)  # fmt: skip
    return draw.set_index("model")[["hit_rate@10", "ndcg@10"]]


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


@exercise
def check_3(difference) -> CheckResult:
    """Exercise 3: paired mean NDCG@10 difference, MF (BPR) with random_state=1 − the chapter's (random_state=0)."""
    test = _paired("MF (BPR), seed 1", "MF (BPR)")
    apart = test["ci low"] > 0 or test["ci high"] < 0
    return paired_difference_verdict(
        difference, test, "the seed-1 model", "the chapter's MF (BPR)",
        conclusion="two seeds of one model differ by more than this test's noise. A paired interval compares two "
        "fitted models on these users; a verdict between two models must also clear the seed-to-seed spread."
        if apart else "the seed makes no difference this test can detect.",
        hint="fit MatrixFactorization(learning_rate=0.005, random_state=1) on train, evaluate it with "
        "per_user=True, and pass its scores first and per_user['MF (BPR)'] second to evaluation.paired_test.",
    )


@exercise
def check_4(difference) -> CheckResult:
    """Exercise 4: sampled HR@10 of EASE − MF (BPR), 300 negatives per held-out item, one draw (random_state=0)."""
    sampled = _sampled(MORE_NEGATIVES)
    expected = float(sampled.loc["EASE", "hit_rate@10"] - sampled.loc["MF (BPR)", "hit_rate@10"])
    verdict = numeric_verdict(
        difference, expected, "the difference",
        explain=f"With {MORE_NEGATIVES} negatives EASE is ahead again, as under the exact hit rate: the reversal "
        "belonged to the 100 negatives, not to the models." if expected > 0
        else f"MF stays ahead of EASE with {MORE_NEGATIVES} negatives too.",
    )
    if verdict is not None:
        return verdict
    value = as_number(difference, "the difference")
    if close(value, -expected):
        return wrong("the sign is reversed: EASE minus MF (BPR).")
    fewer = _sampled(100)
    if close(value, fewer.loc["EASE", "hit_rate@10"] - fewer.loc["MF (BPR)", "hit_rate@10"]):
        return wrong(f"that is the difference with 100 negatives, the lab's; pass n_negatives={MORE_NEGATIVES}.")
    if close(value, sampled.loc["EASE", "ndcg@10"] - sampled.loc["MF (BPR)", "ndcg@10"]):
        return wrong("that is the NDCG@10 difference; the exercise asks for the hit rate, 'hit_rate@10'.")
    return wrong(f"call evaluation.sampled_evaluate(model, train, test, n_negatives={MORE_NEGATIVES}) for "
                 "models['EASE'] and models['MF (BPR)'] (keep the default random_state=0, so both rank against "
                 "the same negatives) and subtract MF's 'hit_rate@10' from EASE's.")
