"""Exercise checks of chapter 9, on hand-made values: each answer, the verdict it gets, the feedback it reads.

The checks read the chapter's feature snapshots and serve its bundle through cached helpers; here
those helpers return the made-up counts and top-10 lists below, so the tables run without
building a bundle. That the worked solutions pass on the real bundle is tested by
tests/test_exercise_solutions.py.
"""

import pytest
from exercise_verdicts import BLANK, assert_verdict

from recsys_tutorial.exercises import ch09

# ---------------------------------------------------------------------------------------------
# 1) A point-in-time read: item 0's 30-day count was 31 in the snapshot of as_of − 14 days, 44 in that of − 2 days

ITEM_0_COUNT = {14: 31.0, 2: 44.0}


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(31, True, "in the snapshot of as_of − 14 days is 31. The snapshot of as_of − 2 days was "
                     "written after", id="right"),
        pytest.param(44, False, "that is the later snapshot's value", id="the later snapshot"),
        pytest.param(30, False, "write feature_snapshot(...)['item'] at as_of − 14 days", id="anything else"),
        pytest.param("31", False, "expected the count as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_point_in_time_read(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch09, "_item0_count", ITEM_0_COUNT.__getitem__)
    assert_verdict(ch09.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) and 3): five users' top 10 under a cap of 3 per category, a cap of 10, and the ranking fallback


def top10(user: int) -> list[int]:
    return list(range(10 * user, 10 * user + 10))


CAP_3 = [top10(user) for user in range(5)]
CAP_10 = [top10(0)[:8] + top10(0)[:7:-1], top10(1)[::-1]] + CAP_3[2:]  # the cap reorders users 0 and 1
# The fallback keeps 10, 7, 4, 10 and 9 of each user's items: a mean overlap of 0.8.
FALLBACK = [top10(user)[:kept] + [-1] * (10 - kept) for user, kept in enumerate([10, 7, 4, 10, 9])]


@pytest.fixture
def five_users(monkeypatch):
    lists = {"cap 3": CAP_3, "cap 10": CAP_10, "ranking fails": FALLBACK}
    monkeypatch.setattr(ch09, "N_USERS", 5)
    monkeypatch.setattr(ch09, "_lists", lists.__getitem__)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(2 / 5, True, "the share of lists the cap changes is 0.4.", id="right"),
        pytest.param(2, False, "that is the number of lists; divide by the 200 users", id="count"),
        pytest.param(0.6, False, "compare RequestPath(bundle, max_per_category=3", id="anything else"),
        pytest.param([0.4], False, "expected the share as a single number", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_the_cap_changes_lists(five_users, answer, passed, feedback):
    assert_verdict(ch09.check_2(answer), passed, feedback)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.8, True, "the mean overlap is 0.8. 40% of users lose nothing to the fallback.", id="right"),
        pytest.param(8, False, "that counts shared items; divide by 10 for a share", id="shared items"),
        pytest.param(0.5, False, "count the items two top-10 lists share", id="anything else"),
        pytest.param("most", False, "expected the mean overlap as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_what_the_ranking_fallback_keeps(five_users, answer, passed, feedback):
    assert_verdict(ch09.check_3(answer), passed, feedback)
