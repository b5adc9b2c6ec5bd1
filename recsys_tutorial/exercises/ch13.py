"""Checks for appendix A (the pipeline on Apache Spark).

Each answer is a Spark DataFrame (a pandas one is accepted too); the checks compare it with the
package's pandas code on the book-size world (`make_synthetic(random_state=0)`), so they need
neither Spark nor Java themselves.

1. Leave-last-out in Spark: the ``row_id`` of each user's last event (ties by ``row_id``).
2. A point-in-time feature: distinct categories each user engaged with before 1 June 2024.
3. Trending items: per category, the 3 items with most events in the 7 days before 1 June 2024.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from .. import split
from ..data import make_synthetic
from . import CheckResult, correct, exercise, wrong

__all__ = ["check_1", "check_2", "check_3"]

AS_OF = pd.Timestamp("2024-06-01")
_WEEK = pd.Timedelta(days=7)


@lru_cache(maxsize=1)
def _world():
    return make_synthetic(random_state=0)


def _events_with_category() -> pd.DataFrame:
    world = _world()
    events = world.interactions.reset_index(drop=True)
    return events.assign(category=world.items["category"].astype(str).to_numpy()[events["item_id"].to_numpy()])


def _frame(answer, columns: tuple[str, ...]) -> pd.DataFrame | CheckResult:
    """The answer as a pandas frame with ``columns``, or the reason it is not one."""
    if hasattr(answer, "toPandas"):
        answer = answer.toPandas()
    if not isinstance(answer, pd.DataFrame):
        return wrong(f"expected a Spark DataFrame with column(s) {list(columns)}, got {type(answer).__name__}.")
    missing = [c for c in columns if c not in answer.columns]
    if missing:
        return wrong(f"the DataFrame is missing column(s) {missing}; it has {list(answer.columns)}.")
    return answer


# ---------------------------------------------------------------------------------------------
# 1) Leave-last-out with a window
# ---------------------------------------------------------------------------------------------


@exercise
def check_1(test_rows) -> CheckResult:
    """Exercise 1: the test rows of leave-last-out, as a DataFrame with ``row_id``."""
    frame = _frame(test_rows, ("row_id",))
    if isinstance(frame, CheckResult):
        return frame
    log = _world().interactions
    _, test = split.leave_last_out(log)
    expected = np.sort(log.index.get_indexer(test.index))
    got = np.sort(frame["row_id"].to_numpy(dtype=np.int64))
    if np.array_equal(got, expected):
        return correct(f"{len(got):,} test rows, one per user with at least two events, identical to "
                       "split.leave_last_out: one shuffle by user, then a sort inside each user.")
    by_user = log.groupby("user_id")
    single = int((by_user.size() == 1).sum())
    if len(got) == len(expected) + single:
        whose = "1 user's only event" if single == 1 else f"{single:,} users' only events"
        return wrong(f"that holds out {whose} too; a user with one event keeps it in train "
                     "(filter on the user's event count, a count over the same window without ordering).")
    first = log.index.get_indexer(log.sort_values(["timestamp"], kind="stable").groupby("user_id").head(1).index)
    if len(got) >= len(expected) - 10 and np.isin(got, first).mean() > 0.5:
        return wrong("those are mostly users' *first* events: order the window by timestamp descending "
                     "(or number from the end), so row 1 is the latest.")
    if len(got) == len(expected):
        differ = int((got != expected).sum())
        return wrong(f"{differ} row(s) differ from leave_last_out; a user's latest events can share a timestamp: "
                     "break ties by row_id (the input order), the later row being the last event.")
    return wrong(f"expected {len(expected):,} rows (one per user with at least two events), got {len(got):,}.")


# ---------------------------------------------------------------------------------------------
# 2) Distinct categories per user, as of a cutoff
# ---------------------------------------------------------------------------------------------


def _categories_per_user(events: pd.DataFrame) -> pd.Series:
    return events.groupby("user_id")["category"].nunique()


@exercise
def check_2(categories) -> CheckResult:
    """Exercise 2: ``user_id``, ``n_categories`` (distinct categories before ``AS_OF``)."""
    frame = _frame(categories, ("user_id", "n_categories"))
    if isinstance(frame, CheckResult):
        return frame
    events = _events_with_category()
    expected = _categories_per_user(events[events["timestamp"] < AS_OF])
    got = frame.set_index("user_id")["n_categories"]
    got = got[got > 0]  # users without history may be listed with 0 or left out
    if got.index.has_duplicates:
        return wrong("some users appear on more than one row: group by user_id only.")
    aligned = got.reindex(expected.index)
    if len(got) == len(expected) and aligned.notna().all() and (aligned.to_numpy() == expected.to_numpy()).all():
        return correct(f"{len(expected):,} users had events before {AS_OF:%d %B %Y}; they engaged with "
                       f"{expected.mean():.2f} categories on average. A countDistinct per user over the events "
                       "strictly before the cutoff: the feature a model trained on that day could have had.")
    if _matches(got, _categories_per_user(events)):
        return wrong("that counts every event, including those on and after the cutoff: that leaks the future. "
                     "Filter timestamp < as_of first.")
    if _matches(got, events[events["timestamp"] < AS_OF].groupby("user_id")["item_id"].nunique()):
        return wrong("that counts distinct items; join the items' category and count distinct categories.")
    if _matches(got, events[events["timestamp"] < AS_OF].groupby("user_id").size()):
        return wrong("that counts events; count distinct categories (countDistinct).")
    return wrong(f"{int((aligned != expected).sum())} of {len(expected):,} users differ: join each event to its "
                 "item's category, keep events strictly before 1 June 2024, count distinct categories per user.")


def _matches(got: pd.Series, other: pd.Series) -> bool:
    other = other[other > 0]
    return len(got) == len(other) and bool((got.reindex(other.index).to_numpy() == other.to_numpy()).all())


# ---------------------------------------------------------------------------------------------
# 3) Trending items per category
# ---------------------------------------------------------------------------------------------


def _trending(events: pd.DataFrame, start, end) -> pd.DataFrame:
    window = events[(events["timestamp"] >= start) & (events["timestamp"] < end)]
    counts = window.groupby(["category", "item_id"]).size().rename("n_events").reset_index()
    counts = counts.sort_values(["category", "n_events", "item_id"], ascending=[True, False, True])
    counts["rank"] = counts.groupby("category").cumcount() + 1
    return counts[counts["rank"] <= 3].reset_index(drop=True)


@exercise
def check_3(trending) -> CheckResult:
    """Exercise 3: ``category``, ``rank`` (1..3), ``item_id``: the week's most engaged items per category."""
    frame = _frame(trending, ("category", "rank", "item_id"))
    if isinstance(frame, CheckResult):
        return frame
    events = _events_with_category()
    expected = _trending(events, AS_OF - _WEEK, AS_OF)
    key = ["category", "rank", "item_id"]
    got = frame[key].astype({"category": str, "rank": np.int64, "item_id": np.int64}).sort_values(["category", "rank"])
    got = got.reset_index(drop=True)
    if got.equals(expected[key]):
        top = expected[expected["rank"] == 1].nlargest(1, "n_events").iloc[0]
        return correct(f"{len(expected)} rows for {expected['category'].nunique()} categories; the week's busiest item "
                       f"is {top['item_id']} in {top['category']} ({top['n_events']} events). A count per "
                       "(category, item), then row_number over each category: a trending shelf.")
    if got.equals(_trending(events, events["timestamp"].min(), AS_OF)[key]):
        return wrong("that ranks over the whole history before the cutoff; keep only the 7 days before it "
                     "(as_of − 7 days <= timestamp < as_of).")
    if got.equals(_trending(events, AS_OF - _WEEK, AS_OF + pd.Timedelta(seconds=1))[key]):
        return wrong("the window includes the cutoff itself; keep timestamp < as_of.")
    if len(got) != len(expected):
        return wrong(f"expected {len(expected)} rows (3 per category), got {len(got)}: use row_number (not rank or "
                     "dense_rank, which repeat a position on ties) and keep rows 1 to 3.")
    return wrong("the lists differ: count events per (category, item) in the window, order each category's items "
                 "by count descending and, on a tie, by the lower item_id, and number them from 1.")
