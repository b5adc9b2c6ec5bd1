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
# 2) and 3): five ranked users' top 10 under a cap of 3 per category, a cap of 10, and the ranking fallback
# (N_USERS = 8: three more users without history, who never reach the ranker)


def top10(user: int) -> list[int]:
    return list(range(10 * user, 10 * user + 10))


CAP_3 = [top10(user) for user in range(5)]
CAP_10 = [top10(0)[:8] + top10(0)[:7:-1], top10(1)[::-1]] + CAP_3[2:]  # the cap reorders users 0 and 1
# The fallback keeps 10, 7, 4, 10 and 9 of each user's items: a mean overlap of 0.8.
FALLBACK = [top10(user)[:kept] + [-1] * (10 - kept) for user, kept in enumerate([10, 7, 4, 10, 9])]


@pytest.fixture
def five_users(monkeypatch):
    lists = {"cap 3": CAP_3, "cap 10": CAP_10, "ranking fails": FALLBACK}
    monkeypatch.setattr(ch09, "N_USERS", 8)
    monkeypatch.setattr(ch09, "_lists", lists.__getitem__)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(2 / 5, True, "the share of ranked users' lists the cap changes is 0.4. The cap bites",
                     id="right"),
        pytest.param(2 / 8, False, "that divides by all 200 users", id="every user"),
        pytest.param(2, False, "that is the number of lists; divide by the number of ranked users", id="count"),
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
        pytest.param(0.8, True, "the mean overlap is 0.8. 40% of the ranked users keep their whole list", id="right"),
        pytest.param(8, False, "that counts shared items; divide by 10 for a share", id="shared items"),
        pytest.param((0.8 * 5 + 3) / 8, False, "that includes the users without history", id="every user"),
        pytest.param(0.5, False, "count the items two top-10 lists share", id="anything else"),
        pytest.param("most", False, "expected the mean overlap as a number", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_what_the_ranking_fallback_keeps(five_users, answer, passed, feedback):
    assert_verdict(ch09.check_3(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 4) Little's law: 4 clients, 800 requests/s at 4.9 ms each: 3.92 in flight


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param({"throughput": 800, "latency": 0.0049, "in_flight": 3.92}, True,
                     "800 requests/s × 4.9 ms = 3.92 requests in flight", id="right"),
        pytest.param({"throughput": 800, "latency": 4.9, "in_flight": 3920}, False, "looks like milliseconds",
                     id="milliseconds"),
        pytest.param({"throughput": 800, "latency": 0.0049, "in_flight": 4}, False,
                     "in_flight should be throughput × latency", id="not the product"),
        pytest.param({"throughput": 200, "latency": 0.0049, "in_flight": 0.98}, False,
                     "should keep about 4 in flight", id="one client's throughput"),
        pytest.param(3.92, False, "answer with a dict", id="a number"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_4_littles_law(answer, passed, feedback):
    assert_verdict(ch09.check_4(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 5) A shadow comparison: the release changes 0.35 of the ranked users' lists


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(0.35, True, "the share of ranked users whose list the release changes is 0.35", id="right"),
        pytest.param(0.65, False, "that is the share whose list stays the same", id="the complement"),
        pytest.param(0.2, False, "build the candidate with serving.build_bundle", id="anything else"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_5_shadow_comparison(monkeypatch, answer, passed, feedback):
    monkeypatch.setattr(ch09, "_candidate_change", lambda: 0.35)
    assert_verdict(ch09.check_5(answer), passed, feedback)
