"""Checks for chapter 7b (the two-stage recommender on the synthetic world).

The chapter's recommender takes its two sources, recency-weighted item2vec and EASE, with the settings
chapter 4b's search chose (``benchmarks/results/tune_embeddings_synthetic.json``). Its refits train
LambdaMART on the requests of the recommender's training frame that hold at least one positive label
(``with_positive``), fitting on the earlier requests and stopping early on the latest ones, and score the
test pool by per-user NDCG@10; the checks do the same.
"""

from __future__ import annotations

from functools import cache, lru_cache

from . import CheckResult, as_number, by_interval, exercise, numeric_verdict, paired_difference_verdict, wrong

__all__ = ["check_1", "check_2", "check_3", "check_4"]

N_CANDIDATES = 50
SOURCES = ["Item2Vec", "EASE"]
#: Exercise 1: the test events that count, the ones the business wants.
BOUGHT = ["add_to_cart", "purchase"]


@lru_cache(maxsize=1)
def _split():
    """The world, its split, the test users (with an item new to them) and their relevance."""
    from .. import evaluation, split
    from ..data import make_synthetic

    world = make_synthetic(random_state=0)
    train, test = split.per_user_temporal_split(world.interactions, test_fraction=0.2)
    test_users, relevant = evaluation.held_out_users(test, world.n_users, world.n_items, seen_in=train)
    return world, train, test, test_users, relevant


@lru_cache(maxsize=1)
def _settings() -> dict[str, dict]:
    """The settings chapter 4b's search chose for each model, read from its results file."""
    from .. import tuning

    return tuning.chosen_settings(tuning.read_results("tune_embeddings_synthetic"))


@lru_cache(maxsize=1)
def _chapter():
    """The chapter's fitted two-stage recommender and its test frame (with the ranker's ``score``)."""
    from .. import ranking
    from ..models import EASE, Item2Vec, Popularity

    world, train, _, test_users, _ = _split()
    settings = _settings()
    retrievers = {
        "Item2Vec": Item2Vec(**settings["Item2Vec"], random_state=0),
        "EASE": EASE(**settings["EASE"]),
        "Popularity": Popularity(),
    }
    model = ranking.TwoStageRecommender(
        retrievers=retrievers,
        sources=SOURCES,
        n_candidates=N_CANDIDATES,
        user_columns=["age_group"],
        ranker=ranking.GBDTRanker(objective="lambdarank", random_state=0),
        random_state=0,
    )
    model.fit(train, users=world.users, items=world.items)
    return model, model.candidate_frame(test_users)


def _training_frame(with_positive: bool):
    """The recommender's training frame, or (``with_positive``) its requests with a positive label."""
    frame = _chapter()[0].training_frame_
    if not with_positive:
        return frame
    return frame[frame.groupby("request_id")["label"].transform("max") > 0]


@cache
def _test_scores(name: str):
    """Scores of the chapter's test frame, one per row, by the ranker ``name`` (fitted here)."""
    from .. import ranking

    with_positive = _training_frame(with_positive=True)
    binary = with_positive.assign(label=(with_positive["label"] > 0).astype(int))
    all_but_age = [column for column in ranking.feature_columns(with_positive) if column != "user__age_group"]
    lambdamart = {"objective": "lambdarank", "random_state": 0}  # the recommender's ranker
    frame, ranker, features = {
        "graded": (with_positive, ranking.GBDTRanker(**lambdamart), None),
        "binary": (binary, ranking.GBDTRanker(**lambdamart), None),
        "without the age group": (with_positive, ranking.GBDTRanker(**lambdamart), all_but_age),
        "pointwise, whole frame": (_training_frame(with_positive=False), ranking.default_ranker(random_state=0), None),
        "pointwise, with a positive": (with_positive, ranking.default_ranker(random_state=0), None),
    }[name]
    is_validation = frame["validation"]
    ranker.fit(frame[~is_validation], frame[is_validation], features=features)
    return ranker.predict(_chapter()[1])


def _ndcg(scores, relevance: str = "any event"):
    """Per-user NDCG@10 of the test pool ranked by ``scores``: over the chapter's test users (``"any event"``),
    or over the users with a cart or purchase of a new item, judged by those events only (``"bought"``)."""
    import pandas as pd

    from .. import evaluation, ranking

    world, train, test, users, relevant = _split()
    test_frame = _chapter()[1]
    if relevance == "bought":
        bought = test[test["event_type"].isin(BOUGHT)]
        users, relevant = evaluation.held_out_users(bought, world.n_users, world.n_items, seen_in=train)
    elif relevance == "bought, every test user":  # a slip: users without a cart or purchase score 0
        bought = test[test["event_type"].isin(BOUGHT)]
        relevant = evaluation.relevance_matrix(bought, world.n_users, world.n_items, seen_in=train)[users]
    top10 = ranking.ranked_lists(test_frame, users, scores=scores, k=10)
    return pd.Series(evaluation.ndcg_at_k(top10, relevant), index=users)


@cache
def _per_user(name: str, relevance: str = "any event"):
    """Per-user NDCG@10 of the ranker ``name`` (see `_test_scores`; ``"chapter"``: the recommender's own)."""
    scores = _chapter()[1]["score"] if name == "chapter" else _test_scores(name)
    return _ndcg(scores, relevance)


def _paired(a: str, b: str, relevance: str = "any event"):
    from .. import evaluation

    return evaluation.paired_test(_per_user(a, relevance), _per_user(b, relevance))


def _mean_difference(a: str, b: str, relevance: str = "any event") -> float:
    return float((_per_user(a, relevance) - _per_user(b, relevance)).mean())


@exercise
def check_1(difference) -> CheckResult:
    """Exercise 1: paired mean NDCG@10 difference on carts and purchases, graded labels − binary labels."""
    if isinstance(value := as_number(difference, "the mean difference"), CheckResult):
        return value  # before the seconds of fitting that the expected answer costs
    test = _paired("graded", "binary", "bought")
    return paired_difference_verdict(
        value,
        test,
        "the graded ranker",
        "the binary one",
        conclusion=by_interval(
            test,
            above="judged by carts and purchases, the graded labels rank better.",
            spanning="judged by carts and purchases too, this test cannot tell the grades from binary labels.",
            below="judged by carts and purchases, the binary labels rank better.",
        ),
        hint="keep the test events whose event_type is 'add_to_cart' or 'purchase', pass them to "
        "evaluation.held_out_users(bought, world.n_users, world.n_items, seen_in=train), rank those users' rows "
        "of test_frame by reference.predict and by binary.predict with ranking.ranked_lists(..., k=10), and pass "
        "the graded scores first to evaluation.paired_test.",
        slips=[
            (
                _mean_difference("graded", "binary"),
                "that is judged by every test event (section 7b.4's measure); judge by carts and purchases only.",
            ),
            (
                _mean_difference("graded", "binary", "bought, every test user"),
                "that averages over every test user, most of whom bought nothing and score 0; keep the users "
                "evaluation.held_out_users returns for the carts and purchases.",
            ),
            (
                _mean_difference("chapter", "binary", "bought"),
                "that compares the chapter's two-stage ranker (test_frame['score']), trained on every request; "
                "compare `reference`, trained on the same requests as `binary`.",
            ),
        ],
    )


@lru_cache(maxsize=1)
def _ease_pool_recall() -> float:
    """Mean candidate recall of the 50-item test pool that the chapter's EASE (recency-weighted) alone proposes."""
    from .. import ranking, retrieval
    from ..models import EASE

    world, train, _, test_users, relevant = _split()
    # EASE is deterministic: fitted on the training split, it is the recommender's own EASE.
    pool = ranking.build_ranking_frame(
        train,
        ranking.default_request_times(train, test_users),
        {"EASE": EASE(**_settings()["EASE"]).fit(train)},
        world.items,
        n_candidates=N_CANDIDATES,
    )
    return float(retrieval.candidate_recall(ranking.ranked_lists(pool, test_users), relevant).mean())


@exercise
def check_2(recall) -> CheckResult:
    """Exercise 2: mean candidate recall of a 50-item pool proposed by EASE alone."""
    verdict = numeric_verdict(
        recall,
        _ease_pool_recall(),
        "the recall of EASE's 50-item pool",
        explain="Compare it with the merged pool's in section 7b.2.",
    )
    if verdict is not None:
        return verdict
    return wrong(
        "build the pool with sources=['EASE'] and n_candidates=50, turn it into lists with "
        "ranking.ranked_lists(pool, test_users), and average retrieval.candidate_recall with `relevant`."
    )


@exercise
def check_3(difference) -> CheckResult:
    """Exercise 3: paired mean NDCG@10 difference of pointwise trees, requests with a positive − whole frame."""
    if isinstance(value := as_number(difference, "the mean difference"), CheckResult):
        return value
    test = _paired("pointwise, with a positive", "pointwise, whole frame")
    return paired_difference_verdict(
        value,
        test,
        "with_positive",
        "the whole frame",
        conclusion=by_interval(
            test,
            above="the pointwise trees rank better without the requests where the user took nothing, though "
            "those held most of their negatives.",
            spanning="this test cannot tell whether the pointwise loss needs the requests where the user "
            "took nothing.",
            below="the pointwise loss needs the requests where the user took nothing: they are its negatives.",
        ),
        hint="fit_ranker(ranking.default_ranker(random_state=0), with_positive) and the same on training_frame, "
        "score each with test_ndcg(ranker.predict(test_frame)), and pass with_positive's scores first to "
        "evaluation.paired_test.",
        slips=[
            (
                _mean_difference("pointwise, with a positive", "graded"),
                "that compares the pointwise trees on with_positive with LambdaMART (`reference`); subtract the "
                "pointwise trees fitted on the whole training_frame.",
            ),
            (
                _mean_difference("pointwise, with a positive", "chapter"),
                "that compares the pointwise trees on with_positive with the chapter's LambdaMART; subtract the "
                "pointwise trees fitted on the whole training_frame.",
            ),
        ],
    )


@exercise
def check_4(difference) -> CheckResult:
    """Exercise 4: paired mean NDCG@10 difference, LambdaMART with the users' age group − without it."""
    if isinstance(value := as_number(difference, "the mean difference"), CheckResult):
        return value
    test = _paired("graded", "without the age group")
    return paired_difference_verdict(
        value,
        test,
        "the ranker with the age group",
        "the one without",
        conclusion=by_interval(
            test,
            above="the age group is worth its place for users with a history.",
            spanning="for users with a history, the age group adds nothing this test can detect.",
            below="the ranker does better without the age group.",
        ),
        hint="list ranking.feature_columns(training_frame) without 'user__age_group', fit "
        "fit_ranker(lambdamart(), with_positive, features=that_list), score it with test_ndcg, and pass "
        "per_user['with a positive'] first to evaluation.paired_test.",
        slips=[
            (
                _mean_difference("chapter", "without the age group"),
                "that subtracts from the chapter's two-stage ranker (trained on every request); start from "
                "per_user['with a positive'], trained on the same requests as yours.",
            ),
        ],
    )
