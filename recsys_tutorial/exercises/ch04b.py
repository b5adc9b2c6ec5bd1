"""Checks for chapter 4b (item2vec, LightGCN and SASRec)."""

from __future__ import annotations

from functools import cache, lru_cache

from . import CheckResult, by_interval, exercise, paired_difference_verdict

__all__ = ["check_1", "check_2", "check_3"]


@lru_cache(maxsize=1)
def _synthetic_split():
    from .. import split
    from ..data import make_synthetic

    return split.per_user_temporal_split(make_synthetic(random_state=0).interactions, test_fraction=0.2)


def _sasrec_settings() -> dict:
    """The settings chapter 4b's search chose for SASRec (benchmarks/results/tune_embeddings_synthetic.json)."""
    from .. import tuning

    return tuning.chosen_settings(tuning.read_results("tune_embeddings_synthetic"))["SASRec"]


def _per_user_ndcg(model, train=None):
    from .. import evaluation

    split_train, test = _synthetic_split()
    train = split_train if train is None else train
    return evaluation.evaluate(model.fit(train), split_train, test, per_user=True)["ndcg@10"]


@cache
def _chapter_model(name: str):
    """Per-user NDCG@10 of a model fitted as in the chapter."""
    from ..models import LightGCN, SASRec

    if name == "SASRec, order lost":
        from ..split import shuffle_order_within_users

        shuffled = shuffle_order_within_users(_synthetic_split()[0], random_state=0)
        return _per_user_ndcg(SASRec(**_sasrec_settings(), random_state=0), shuffled)
    models = {
        "SASRec": lambda: SASRec(**_sasrec_settings(), random_state=0),
        "SASRec, last 5 items": lambda: SASRec(**{**_sasrec_settings(), "max_len": 5}, random_state=0),
        "LightGCN": lambda: LightGCN(n_epochs=20, random_state=0),
        "LightGCN, 0 layers": lambda: LightGCN(n_layers=0, n_epochs=20, random_state=0),
    }
    return _per_user_ndcg(models[name]())


def _paired(a: str, b: str):
    from .. import evaluation

    return evaluation.paired_test(_chapter_model(a), _chapter_model(b))


@exercise
def check_1(difference) -> CheckResult:
    """Exercise 1: paired mean NDCG@10 difference, LightGCN (3 layers) − LightGCN (0 layers)."""
    return paired_difference_verdict(
        difference, _paired("LightGCN", "LightGCN, 0 layers"), "three layers", "zero layers",
        conclusion="same loss, parameters and epochs: the difference is what propagation adds.",
        hint="fit LightGCN(n_layers=0, n_epochs=20, random_state=0) on train, evaluate with per_user=True, and "
        "compare it with per_user['LightGCN'] using evaluation.paired_test.",
    )


@exercise
def check_2(difference) -> CheckResult:
    """Exercise 2: paired mean NDCG@10 difference, the chapter's SASRec − SASRec reading its last 5 items."""
    test = _paired("SASRec", "SASRec, last 5 items")
    return paired_difference_verdict(
        difference, test, "the chapter's SASRec", "the five-item one",
        conclusion=by_interval(
            test, "the items before the last five carry something SASRec uses.",
            "the items before the last five add nothing this test can detect: SASRec reads the end of the history.",
            "the shorter history scores better."),
        hint="refit SASRec with the chapter's settings but max_len=5 (SASRec(**{**settings['SASRec'], 'max_len': 5}, "
        "random_state=0)), evaluate with per_user=True, and pass per_user['SASRec'] first to evaluation.paired_test.",
    )


@exercise
def check_3(difference) -> CheckResult:
    """Exercise 3: paired mean NDCG@10 difference, SASRec on the ordered history − on the shuffled one."""
    test = _paired("SASRec", "SASRec, order lost")
    return paired_difference_verdict(
        difference, test, "SASRec on the ordered history", "SASRec on the shuffled one",
        conclusion=by_interval(
            test, "without the order of its history SASRec loses its edge: what it reads is the end of the sequence.",
            "the order did not matter to SASRec here.", "the shuffled history scored better."),
        hint="fit SASRec with the chapter's settings on split.shuffle_order_within_users(train, random_state=0), "
        "evaluate it against the original train and the test with per_user=True, and pass per_user['SASRec'] first "
        "to evaluation.paired_test.",
    )
