"""Exercise checks of chapter 12, on hand-made values: each answer, the verdict it gets, the feedback it reads.

The checks take the capstone's ALS recall, rated events and per-user hits from cached helpers;
here those helpers return the tiny values below, so the tables run without fitting anything.
That the worked solutions pass on MovieLens is tested by tests/test_exercise_solutions.py.
"""

import math

import numpy as np
import pandas as pd
import pytest
from exercise_verdicts import BLANK, assert_verdict
from statsmodels.stats.power import TTestIndPower

from recsys_tutorial.exercises import ch12

# ---------------------------------------------------------------------------------------------
# 1) The candidate recall of the pool of 100 merged from EASE, item-kNN and ALS

# Per-user recall of each pool (with ALS?, size, exclude_seen) → per-user recall; six test users.
# With ALS the pool gains on two users and loses on two: no measurable difference.
POOLS = {
    (False, 100, True): (0.5, 0.25, 0.75, 0.5, 1.0, 0.0),
    (True, 100, True): (0.75, 0.25, 0.5, 0.5, 0.75, 0.25),
    (True, 300, True): (1.0, 0.5, 1.0, 0.75, 1.0, 0.5),
    (True, 100, False): (0.5, 0.25, 0.25, 0.25, 0.5, 0.0),
}
ALS_ALONE = 0.3125


def pool_recall(with_als, size=100, exclude_seen=True):
    return POOLS[with_als, size, exclude_seen]


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.5, True, "the three-source pool's candidate recall at 100 is 0.5. No measurable gain: +0.0000",
                     id="right"),
        pytest.param(ALS_ALONE, False, "that is ALS's own recall at 100", id="ALS alone"),
        pytest.param(0.7917, False, "that pool holds up to 300 candidates", id="pool not capped"),
        pytest.param(0.2917, False, "ALS's list keeps films the user has already rated", id="seen films kept"),
        pytest.param(0.4821, False, "merge it after EASE's and item-kNN's lists", id="anything else"),
        pytest.param("0.4", False, "expected the three-source pool's candidate recall at 100 as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_candidate_recall_of_a_three_source_pool(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch12, "_pool_recall", pool_recall)
    monkeypatch.setattr(ch12, "_als_recall", lambda: ALS_ALONE)
    assert_verdict(ch12.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) The PSI of the raters' occupation, September–October 1997 against April 1998, per rating


def rated(user, occupation, month, n) -> pd.DataFrame:
    return pd.DataFrame({"user_id": [user] * n, "occupation": [occupation] * n, "month": [month] * n})


# Baseline: a student rates 6 times, an engineer and a writer twice each (shares 0.6, 0.2, 0.2; one
# user in three of each). April: the student rates once, two engineers 6 times and once, a writer
# twice (shares 0.1, 0.7, 0.2; users 1/4, 2/4, 1/4). A doctor rates in the months in between and after.
RATINGS = pd.concat([
    rated(0, "student", "1997-09", 4), rated(0, "student", "1997-10", 2), rated(1, "engineer", "1997-09", 2),
    rated(2, "writer", "1997-10", 2), rated(6, "doctor", "1997-12", 5),
    rated(0, "student", "1998-04", 1), rated(3, "engineer", "1998-04", 6), rated(4, "engineer", "1998-04", 1),
    rated(5, "writer", "1998-04", 2), rated(6, "doctor", "1998-05", 3),
], ignore_index=True)
PSI_PER_RATING = (0.1 - 0.6) * math.log(0.1 / 0.6) + (0.7 - 0.2) * math.log(0.7 / 0.2)  # Σ (c − b) ln(c / b)
PSI_PER_USER = 2 * (1 / 4 - 1 / 3) * math.log((1 / 4) / (1 / 3)) + (2 / 4 - 1 / 3) * math.log((2 / 4) / (1 / 3))


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(PSI_PER_RATING, True, "the PSI of occupation is 1.522. Who rates shifts", id="right"),
        pytest.param(PSI_PER_USER, False, "that counts each user once per period", id="per user"),
        pytest.param(1.5, False, "rounded to too few figures", id="rounded"),
        pytest.param(0.7, False, "join the users' occupation onto the interactions", id="anything else"),
        pytest.param([1.5], False, "expected the PSI of occupation as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_psi_of_occupation(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch12, "_occupations", lambda: (RATINGS, RATINGS["month"]))
    assert_verdict(ch12.check_2(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 3) Users per arm for 80 % power, two-stage against EASE, on each test user's hits in the top 10

EASE_HITS = np.tile([0, 1, 2, 1], 10)
TWO_STAGE_HITS = np.tile([1, 1, 2, 2], 10)


def users_per_arm(sd: float) -> float:
    effect = (TWO_STAGE_HITS.mean() - EASE_HITS.mean()) / sd
    return TTestIndPower().solve_power(effect_size=effect, alpha=0.05, power=0.8)


POOLED_SD = math.sqrt((EASE_HITS.var(ddof=1) + TWO_STAGE_HITS.var(ddof=1)) / 2)
PAIRED_SD = (TWO_STAGE_HITS - EASE_HITS).std(ddof=1)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(users_per_arm(POOLED_SD), True, "With 40 users in all, the offline comparison is paired",
                     id="right"),
        pytest.param(users_per_arm(PAIRED_SD), False, "divides by the sd of the per-user differences",
                     id="paired sd"),
        pytest.param(2 * users_per_arm(POOLED_SD), False, "Cohen's d = (mean difference) / pooled sd",
                     id="anything else"),
        pytest.param("many", False, "expected the users needed per arm as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_users_per_arm(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch12, "_hits", lambda: (EASE_HITS, TWO_STAGE_HITS))
    assert_verdict(ch12.check_3(answer), passed, feedback)
