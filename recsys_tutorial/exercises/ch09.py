"""Checks for chapter 9 (serving a two-stage recommender)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache, lru_cache
from pathlib import Path

from . import CheckResult, as_number, close, exercise, numeric_verdict, wrong

__all__ = ["exercise_bundle", "check_1", "check_2", "check_3"]

N_USERS = 200


@lru_cache(maxsize=1)
def _world():
    from ..data import make_synthetic

    return make_synthetic(n_users=3_000, n_items=3_000, n_interactions=40_000, random_state=0)


@lru_cache(maxsize=1)
def exercise_bundle() -> Path:
    """The chapter's bundle, built once per session in a temporary directory (removed at exit)."""
    from ..serving import build_bundle

    directory = Path(tempfile.mkdtemp(prefix="chapter9-exercises-"))
    atexit.register(shutil.rmtree, directory, True)
    return build_bundle(directory / "bundle", data=_world(), n_candidates=50)


@lru_cache(maxsize=1)
def _paths():
    from ..serving import RequestPath, load_bundle

    bundle = load_bundle(exercise_bundle())
    return {
        "cap 3": RequestPath(bundle, max_per_category=3, budget_ms=None),
        "cap 10": RequestPath(bundle, max_per_category=10, budget_ms=None),
        "ranking fails": RequestPath(bundle, budget_ms=None, faults={"ranking": "error"}),
    }


def _lists(name):
    return [_paths()[name].recommend(user, k=10).items for user in range(N_USERS)]


@cache
def _item0_count(days_before: int) -> float:
    """Item 0's 30-day event count in the snapshot written ``days_before`` days before as_of."""
    import pandas as pd

    from ..ranking.online import feature_snapshot

    world = _world()
    history = world.interactions
    as_of = history["timestamp"].max() + pd.Timedelta(seconds=1)
    moment = as_of - pd.Timedelta(days=days_before)
    table = feature_snapshot(history, world.items, moment, n_users=world.n_users)["item"]
    return float(table.loc[0, "item__n_events_30d"])


@exercise
def check_1(count) -> CheckResult:
    """Exercise 1: item 0's 30-day count from the snapshot valid 5 days before as_of."""
    value = as_number(count, "the count")
    if isinstance(value, CheckResult):
        return value
    verdict = numeric_verdict(value, _item0_count(14), "item 0's 30-day count in the snapshot of as_of − 14 days",
                              explain="The snapshot of as_of − 2 days was written after the moment you read at.")
    if verdict is not None:
        return verdict
    if close(value, _item0_count(2)):
        return wrong("that is the later snapshot's value: a read at as_of − 5 days cannot see rows written at "
                     "as_of − 2 days.")
    return wrong("write feature_snapshot(...)['item'] at as_of − 14 days and at as_of − 2 days (valid_from = that "
                 "moment), then read_frame('item', [0], as_of − 5 days).")


@exercise
def check_2(share) -> CheckResult:
    """Exercise 2: share of users 0–199 whose top 10 differ between a cap of 10 and a cap of 3."""
    import numpy as np

    value = as_number(share, "the share")
    if isinstance(value, CheckResult):
        return value
    expected = float(np.mean([a != b for a, b in zip(_lists("cap 3"), _lists("cap 10"), strict=True)]))
    verdict = numeric_verdict(value, expected, "the share of lists the cap changes")
    if verdict is not None:
        return verdict
    if close(value, expected * N_USERS):
        return wrong("that is the number of lists; divide by the 200 users.")
    return wrong("compare RequestPath(bundle, max_per_category=3, budget_ms=None).recommend(u, k=10).items with the "
                 "same for max_per_category=10, for u in range(200), and average the inequalities.")


@exercise
def check_3(overlap) -> CheckResult:
    """Exercise 3: mean top-10 overlap of the ranked lists and the ranking fallback's, users 0–199."""
    import numpy as np

    value = as_number(overlap, "the mean overlap")
    if isinstance(value, CheckResult):
        return value
    pairs = zip(_lists("cap 3"), _lists("ranking fails"), strict=True)
    overlaps = [len(set(a) & set(b)) / 10 for a, b in pairs]
    expected = float(np.mean(overlaps))
    verdict = numeric_verdict(value, expected, "the mean overlap",
                              explain=f"{np.mean(np.array(overlaps) == 1):.0%} of users lose nothing to the fallback.")
    if verdict is not None:
        return verdict
    if close(value, expected * 10):
        return wrong("that counts shared items; divide by 10 for a share.")
    return wrong("for u in range(200), count the items two top-10 lists share (RequestPath(bundle, budget_ms=None) "
                 "and the same with faults={'ranking': 'error'}), divide by 10, and average.")
