"""Exercise checks of appendix A, on a hand-made log: each answer, the verdict it gets, the feedback it reads.

The checks accept a pandas frame as well as a Spark DataFrame (anything with ``toPandas``), so these
tables run without Spark or Java. They read the book's world through a cached helper, which here
serves the tiny log below. That the worked solutions pass on the real world is tested by
tests/test_exercise_solutions.py.
"""

from types import SimpleNamespace

import pandas as pd
import pytest
from exercise_verdicts import BLANK, assert_verdict

from recsys_tutorial.exercises import ch13


def world(rows, categories) -> SimpleNamespace:
    """A world of (user_id, item_id, timestamp) events and items 0, 1, ... of the given categories."""
    log = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    return SimpleNamespace(interactions=log.assign(timestamp=pd.to_datetime(log["timestamp"], format="ISO8601")),
                           items=pd.DataFrame({"category": categories}))


@pytest.fixture
def serve(monkeypatch):
    """Make the checks read ``a_world`` instead of the book's."""

    def serve(a_world):
        monkeypatch.setattr(ch13, "_world", lambda: a_world)

    return serve


class SparkFrame:
    """What the checks need of a Spark DataFrame."""

    def __init__(self, frame):
        self.frame = frame

    def toPandas(self):  # Spark's name
        return self.frame


def rows(*row_ids) -> pd.DataFrame:
    return pd.DataFrame({"row_id": row_ids})


# ---------------------------------------------------------------------------------------------
# 1) Leave-last-out: the row_id of each user's last event, for users with at least two events

# Rows 3 and 4 of user 1 share its latest time: the later row is the last event. User 2 has one event.
LEAVE_LAST_OUT_WORLD = world(
    [(0, 0, "2024-05-01"), (0, 1, "2024-05-02"),
     (1, 0, "2024-05-01"), (1, 1, "2024-05-03"), (1, 2, "2024-05-03"),
     (2, 0, "2024-05-05"),
     (3, 0, "2024-05-02"), (3, 1, "2024-05-04")],
    categories=["books", "books", "music"],
)


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(rows(1, 4, 7), True, "3 test rows, one per user with at least two events", id="right"),
        pytest.param(rows(7, 1, 4), True, "identical to split.leave_last_out", id="any order"),
        pytest.param(SparkFrame(rows(1, 4, 7)), True, "3 test rows", id="Spark DataFrame"),
        pytest.param(rows(1, 4, 5, 7), False, "that holds out 1 user's only event too", id="single-event user"),
        pytest.param(rows(0, 2, 6), False, "those are mostly users' *first* events", id="first events"),
        pytest.param(rows(1, 3, 7), False, "1 row(s) differ from leave_last_out; a user's latest events can share "
                     "a timestamp", id="tie broken the wrong way"),
        pytest.param(rows(1, 4), False, "expected 3 rows (one per user with at least two events), got 2",
                     id="a user missing"),
        pytest.param(pd.DataFrame({"rows": [1, 4, 7]}), False, "missing column(s) ['row_id']", id="no row_id"),
        pytest.param([1, 4, 7], False, "expected a Spark DataFrame with column(s) ['row_id'], got list", id="list"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_1_leave_last_out(serve, answer, passed, feedback):
    serve(LEAVE_LAST_OUT_WORLD)
    assert_verdict(ch13.check_1(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 2) Distinct categories per user before 1 June 2024

# Items 0 and 1 are books, 2 is music, 3 is film. Before the cutoff user 0 buys two books, user 1
# music, film and music again, user 2 one book; on 1 June and after, user 0 buys music and user 3 film.
CATEGORIES_WORLD = world(
    [(0, 0, "2024-05-01"), (0, 1, "2024-05-02"),
     (1, 2, "2024-05-01"), (1, 3, "2024-05-03"), (1, 2, "2024-05-04"),
     (2, 0, "2024-05-31 23:59"),
     (0, 2, "2024-06-01"), (3, 3, "2024-06-02")],
    categories=["books", "books", "music", "film"],
)


def per_user(counts: dict) -> pd.DataFrame:
    return pd.DataFrame({"user_id": list(counts), "n_categories": list(counts.values())})


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(per_user({0: 1, 1: 2, 2: 1}), True, "3 users had events before 01 June 2024; they engaged "
                     "with 1.33 categories on average", id="right"),
        pytest.param(per_user({2: 1, 0: 1, 1: 2, 3: 0}), True, "A countDistinct per user", id="any order, with 0s"),
        pytest.param(per_user({0: 2, 1: 2, 2: 1, 3: 1}), False, "that leaks the future", id="every event"),
        pytest.param(per_user({0: 2, 1: 2, 2: 1}), False, "that counts distinct items", id="distinct items"),
        pytest.param(per_user({0: 2, 1: 3, 2: 1}), False, "that counts events", id="events"),
        pytest.param(pd.DataFrame({"user_id": [0, 0, 1, 2], "n_categories": [1, 1, 2, 1]}), False,
                     "some users appear on more than one row", id="a user twice"),
        pytest.param(per_user({0: 1, 1: 1, 2: 1}), False, "1 of 3 users differ", id="anything else"),
        pytest.param(per_user({0: 1, 1: 2, 2: 1}).rename(columns={"n_categories": "n"}), False,
                     "missing column(s) ['n_categories']", id="column misnamed"),
        pytest.param({0: 1, 1: 2, 2: 1}, False, "expected a Spark DataFrame with column(s) ['user_id', "
                     "'n_categories'], got dict", id="dict"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_2_categories_before_the_cutoff(serve, answer, passed, feedback):
    serve(CATEGORIES_WORLD)
    assert_verdict(ch13.check_2(answer), passed, feedback)


# ---------------------------------------------------------------------------------------------
# 3) The week's top 3 items per category, 25–31 May 2024

# Books are items 0-3, music items 4 and 5. In the week, item 0 has 3 events, items 1 and 2 have 2
# (a tie: the lower id ranks first), item 3 one; item 5 has 2 and item 4 one. Before the week item
# 3 had 5 events, and at the cutoff itself item 1 has 2.
TRENDING_WORLD = world(
    [(0, 0, "2024-05-25")] * 3 + [(0, 1, "2024-05-26")] * 2 + [(0, 2, "2024-05-31 23:00")] * 2
    + [(0, 3, "2024-05-27"), (0, 4, "2024-05-28")] + [(0, 5, "2024-05-29")] * 2
    + [(0, 3, "2024-05-01")] * 5 + [(0, 1, "2024-06-01 00:00")] * 2,
    categories=["books"] * 4 + ["music"] * 2,
)


def trending(*ranked) -> pd.DataFrame:
    return pd.DataFrame(ranked, columns=["category", "rank", "item_id"])


RIGHT_SHELF = [("books", 1, 0), ("books", 2, 1), ("books", 3, 2), ("music", 1, 5), ("music", 2, 4)]


@pytest.mark.parametrize(
    ("answer", "passed", "feedback"),
    [
        pytest.param(trending(*RIGHT_SHELF), True, "5 rows for 2 categories; the week's busiest item is 0 in books "
                     "(3 events)", id="right"),
        pytest.param(trending(*RIGHT_SHELF[::-1]), True, "a trending shelf", id="any order"),
        pytest.param(SparkFrame(trending(*RIGHT_SHELF)), True, "5 rows", id="Spark DataFrame"),
        pytest.param(trending(("books", 1, 3), ("books", 2, 0), ("books", 3, 1), *RIGHT_SHELF[3:]), False,
                     "that ranks over the whole history before the cutoff", id="whole history"),
        pytest.param(trending(("books", 1, 1), ("books", 2, 0), ("books", 3, 2), *RIGHT_SHELF[3:]), False,
                     "the window includes the cutoff itself", id="cutoff included"),
        pytest.param(trending(*RIGHT_SHELF[:3], ("books", 3, 3), *RIGHT_SHELF[3:]), False,
                     "expected 5 rows (3 per category), got 6: use row_number", id="dense_rank"),
        pytest.param(trending(("books", 1, 0), ("books", 2, 2), ("books", 3, 1), *RIGHT_SHELF[3:]), False,
                     "on a tie, by the lower item_id", id="tie broken by the higher id"),
        pytest.param(trending(*RIGHT_SHELF).drop(columns="rank"), False, "missing column(s) ['rank']",
                     id="no rank"),
        pytest.param("books: 0, 1, 2", False, "got str", id="text"),
        pytest.param(None, None, BLANK, id="blank"),
    ],
)
def test_check_3_trending_items(serve, answer, passed, feedback):
    serve(TRENDING_WORLD)
    assert_verdict(ch13.check_3(answer), passed, feedback)
