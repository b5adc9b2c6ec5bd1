"""Exercise checks of chapter 7b, on hand-made values: each answer, the verdict it gets, the feedback it reads.

The checks take per-user NDCG@10 of the chapter's rankers and EASE's pool recall from cached helpers
(`ch07b._per_user`, `ch07b._ease_pool_recall`); here those helpers return the made-up values below, so
the tables run without fitting anything. That the worked solutions pass on the real models is tested
by tests/test_exercise_solutions.py.
"""

import pytest
from exercise_verdicts import BLANK, assert_verdict, per_user_scores

from recsys_tutorial.exercises import ch07b

ANY, BOUGHT, EVERYONE = "any event", "bought", "bought, every test user"

# (ranker, relevance) → per-user NDCG@10; means mimic the chapter's.
SCORES = {
    ("chapter", ANY): per_user_scores(0.1877, seed=0),
    ("graded", ANY): per_user_scores(0.1873, seed=1),
    ("binary", ANY): per_user_scores(0.1875, seed=2),
    ("graded", BOUGHT): per_user_scores(0.0942, seed=3),
    ("binary", BOUGHT): per_user_scores(0.0966, seed=4),
    ("chapter", BOUGHT): per_user_scores(0.0933, seed=5),
    ("graded", EVERYONE): per_user_scores(0.0143, seed=6),
    ("binary", EVERYONE): per_user_scores(0.0147, seed=7),
    ("pointwise, whole frame", ANY): per_user_scores(0.1869, seed=8),
    ("pointwise, with a positive", ANY): per_user_scores(0.1875, seed=9),
    ("without the age group", ANY): per_user_scores(0.1878, seed=10),
}


@pytest.fixture
def scores(monkeypatch):
    """Serve SCORES (a copy a test may change) as the checks' per-user NDCG@10."""
    served = dict(SCORES)
    monkeypatch.setattr(ch07b, "_per_user", lambda name, relevance=ANY: served[(name, relevance)])
    return served


def difference(served, a, b, relevance=ANY) -> float:
    return float((served[(a, relevance)] - served[(b, relevance)]).mean())


def test_a_malformed_answer_is_rejected_before_fitting_anything(monkeypatch):
    def fit(*args, **kwargs):
        raise AssertionError("a malformed answer must not cost the seconds of fitting")

    monkeypatch.setattr(ch07b, "_per_user", fit)
    for check in (ch07b.check_1, ch07b.check_3, ch07b.check_4):
        assert_verdict(check("a lot"), False, "expected the mean difference as a number")
        assert_verdict(check([0.1, 0.2]), False, "as a single number")
        assert_verdict(check(float("nan")), False, "as a finite number")


# ---------------------------------------------------------------------------------------------
# 1) Judged by carts and purchases: graded labels − binary labels

BOUGHT_GAP = difference(SCORES, "graded", "binary", BOUGHT)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(BOUGHT_GAP, True, "the mean difference is", id="right"),
        pytest.param(-BOUGHT_GAP, False, "the sign is reversed: the graded ranker minus the binary one", id="reversed"),
        pytest.param(
            difference(SCORES, "graded", "binary"), False, "judged by every test event", id="every test event"
        ),
        pytest.param(
            difference(SCORES, "graded", "binary", EVERYONE),
            False,
            "averages over every test user",
            id="every test user",
        ),
        pytest.param(
            difference(SCORES, "chapter", "binary", BOUGHT),
            False,
            "the chapter's two-stage ranker",
            id="the chapter's ranker",
        ),
        pytest.param(
            0.5, False, "keep the test events whose event_type is 'add_to_cart' or 'purchase'", id="anything else"
        ),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_graded_against_binary_on_carts_and_purchases(scores, answer, passed, feedback):
    assert_verdict(ch07b.check_1(answer), passed, feedback)


@pytest.mark.parametrize(
    ("binary", "conclusion"),
    [
        pytest.param(0.0742, "judged by carts and purchases, the graded labels rank better.", id="graded ahead"),
        pytest.param(0.0942, "this test cannot tell the grades from binary labels", id="a tie"),
        pytest.param(0.1142, "judged by carts and purchases, the binary labels rank better.", id="binary ahead"),
    ],
)
def test_check_1_concludes_from_the_interval(scores, binary, conclusion):
    scores[("binary", BOUGHT)] = per_user_scores(binary, seed=4)
    assert_verdict(ch07b.check_1(difference(scores, "graded", "binary", BOUGHT)), True, conclusion)


# ---------------------------------------------------------------------------------------------
# 2) The candidate recall of EASE's pool of 50


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(
            0.4238, True, "the recall of EASE's 50-item pool is 0.4238. Compare it with the merged pool's", id="right"
        ),
        pytest.param(0.42, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.4525, False, "build the pool with sources=['EASE'] and n_candidates=50", id="anything else"),
        pytest.param("0.43", False, "expected the recall of EASE's 50-item pool as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_the_ceiling_without_item2vec(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch07b, "_ease_pool_recall", lambda: 0.4238)
    assert_verdict(ch07b.check_2(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 3) Pointwise trees: the requests with a positive − the whole frame

POINTWISE_GAIN = difference(SCORES, "pointwise, with a positive", "pointwise, whole frame")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(POINTWISE_GAIN, True, "this test cannot tell whether the pointwise loss needs", id="right"),
        pytest.param(
            -POINTWISE_GAIN, False, "the sign is reversed: with_positive minus the whole frame", id="reversed"
        ),
        pytest.param(
            difference(SCORES, "pointwise, with a positive", "graded"),
            False,
            "compares the pointwise trees on with_positive with LambdaMART (`reference`)",
            id="minus reference",
        ),
        pytest.param(
            difference(SCORES, "pointwise, with a positive", "chapter"),
            False,
            "compares the pointwise trees on with_positive with the chapter's LambdaMART",
            id="minus the chapter",
        ),
        pytest.param(
            0.5, False, "fit_ranker(ranking.default_ranker(random_state=0), with_positive)", id="anything else"
        ),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_what_the_requests_without_a_positive_do_to_the_pointwise_loss(scores, answer, passed, feedback):
    assert_verdict(ch07b.check_3(answer), passed, feedback)


@pytest.mark.parametrize(
    ("with_positive", "conclusion"),
    [
        pytest.param(0.1669, "the pointwise loss needs the requests where the user took nothing", id="needs them"),
        pytest.param(0.2069, "the pointwise trees rank better without the requests", id="better without"),
    ],
)
def test_check_3_concludes_from_the_interval(scores, with_positive, conclusion):
    scores[("pointwise, with a positive", ANY)] = per_user_scores(with_positive, seed=9)
    answer = difference(scores, "pointwise, with a positive", "pointwise, whole frame")
    assert_verdict(ch07b.check_3(answer), True, conclusion)


# ---------------------------------------------------------------------------------------------
# 4) LambdaMART with the users' age group − without it

AGE_GAP = difference(SCORES, "graded", "without the age group")


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(
            AGE_GAP, True, "for users with a history, the age group adds nothing this test can detect", id="right"
        ),
        pytest.param(
            -AGE_GAP, False, "the sign is reversed: the ranker with the age group minus the one without", id="reversed"
        ),
        pytest.param(
            difference(SCORES, "chapter", "without the age group"),
            False,
            "subtracts from the chapter's two-stage ranker",
            id="from the chapter's ranker",
        ),
        pytest.param(
            0.5, False, "list ranking.feature_columns(training_frame) without 'user__age_group'", id="anything else"
        ),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_4_the_age_group_for_users_with_a_history(scores, answer, passed, feedback):
    assert_verdict(ch07b.check_4(answer), passed, feedback)


@pytest.mark.parametrize(
    ("without_age", "conclusion"),
    [
        pytest.param(0.1673, "the age group is worth its place for users with a history.", id="worth it"),
        pytest.param(0.2073, "the ranker does better without the age group.", id="better without"),
    ],
)
def test_check_4_concludes_from_the_interval(scores, without_age, conclusion):
    scores[("without the age group", ANY)] = per_user_scores(without_age, seed=10)
    assert_verdict(ch07b.check_4(difference(scores, "graded", "without the age group")), True, conclusion)
