"""Checks for chapter 9 (serving a two-stage recommender)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache, lru_cache
from pathlib import Path

from . import CheckResult, as_number, close, correct, exercise, numeric_verdict, wrong

__all__ = ["exercise_bundle", "ranked_users", "closed_loop", "check_1", "check_2", "check_3", "check_4", "check_5"]

#: The exercises ask about users 0 to N_USERS − 1 that have history (the ones the ranker serves).
N_USERS = 200


@lru_cache(maxsize=1)
def _world():
    from ..data import make_synthetic

    return make_synthetic(n_users=3_000, n_items=3_000, n_interactions=40_000, random_state=0)


@lru_cache(maxsize=1)
def exercise_bundle() -> Path:
    """The chapter's bundle folder, built once per session in a temporary directory (removed at exit)."""
    from ..serving import build_bundle

    directory = Path(tempfile.mkdtemp(prefix="chapter9-exercises-"))
    atexit.register(shutil.rmtree, directory, True)
    return build_bundle(directory / "bundles", data=_world(), n_candidates=50)


@lru_cache(maxsize=1)
def _bundle():
    from ..serving import load_bundle

    return load_bundle(exercise_bundle())


def ranked_users() -> list[int]:
    """Users 0 to 199 with history in the exercise bundle: the users the ranker serves."""
    bundle = _bundle()
    return [user for user in range(N_USERS) if len(bundle.seen(user))]


@lru_cache(maxsize=1)
def _paths():
    import pandas as pd

    from ..serving import RequestPath

    bundle = _bundle()
    as_of = pd.Timestamp(bundle.manifest["as_of"])
    return {
        "cap 3": RequestPath(bundle, max_per_category=3, budget_ms=None, clock=as_of),
        "cap 10": RequestPath(bundle, max_per_category=10, budget_ms=None, clock=as_of),
        "ranking fails": RequestPath(bundle, budget_ms=None, faults={"ranking": "error"}, clock=as_of),
    }


def _lists(name):
    return [_paths()[name].recommend(user, k=10).items for user in ranked_users()]


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
    """Exercise 1: item 0's 30-day count from the offline store, as of 5 days before as_of."""
    value = as_number(count, "the count")
    if isinstance(value, CheckResult):
        return value
    verdict = numeric_verdict(value, _item0_count(14), "item 0's 30-day count in the snapshot of as_of − 14 days",
                              explain="The snapshot of as_of − 2 days was written after the moment you read at.")
    if verdict is not None:
        return verdict
    if close(value, _item0_count(2)):
        return wrong("that is the later snapshot's value: a read at as_of − 5 days cannot see rows written at "
                     "as_of − 2 days (an online store, which keeps only the latest rows, would give you this).")
    return wrong("write feature_snapshot(...)['item'] at as_of − 14 days and at as_of − 2 days into an "
                 "OfflineFeatureStore (valid_from = that moment), then read_frame('item', [0], as_of − 5 days).")


@exercise
def check_2(share) -> CheckResult:
    """Exercise 2: share of the ranked users whose top 10 differ between a cap of 10 and a cap of 3."""
    import numpy as np

    value = as_number(share, "the share")
    if isinstance(value, CheckResult):
        return value
    changed = [a != b for a, b in zip(_lists("cap 3"), _lists("cap 10"), strict=True)]
    expected = float(np.mean(changed))
    verdict = numeric_verdict(value, expected, "the share of ranked users' lists the cap changes",
                              explain="The cap bites whenever the ranker put four or more items of one category "
                                      "in a user's top 10.")  # fmt: skip
    if verdict is not None:
        return verdict
    if close(value, expected * len(changed) / N_USERS):
        return wrong("that divides by all 200 users; users without history get popular items either way and never "
                     "reach the ranker: average over the users with history only (ch09.ranked_users()).")
    if close(value, expected * len(changed)):
        return wrong("that is the number of lists; divide by the number of ranked users.")
    return wrong("for u in ch09.ranked_users(), compare RequestPath(bundle, max_per_category=3, budget_ms=None, "
                 "clock=as_of).recommend(u, k=10).items with the same for max_per_category=10, and average.")


@exercise
def check_3(overlap) -> CheckResult:
    """Exercise 3: mean top-10 overlap of the ranked lists and the ranking fallback's, for the ranked users."""
    import numpy as np

    value = as_number(overlap, "the mean overlap")
    if isinstance(value, CheckResult):
        return value
    overlaps = np.array([len(set(a) & set(b)) / 10
                         for a, b in zip(_lists("cap 3"), _lists("ranking fails"), strict=True)])  # fmt: skip
    expected = float(overlaps.mean())
    kept = float(np.mean(overlaps == 1))
    verdict = numeric_verdict(value, expected, "the mean overlap",
                              explain=f"{kept:.0%} of the ranked users keep their whole list when the ranker fails; "
                                      "the rest lose the items the ranker promoted from deeper in the pool.")
    if verdict is not None:
        return verdict
    if close(value, expected * 10):
        return wrong("that counts shared items; divide by 10 for a share.")
    n_ranked = len(overlaps)
    if close(value, (expected * n_ranked + (N_USERS - n_ranked)) / N_USERS):
        return wrong("that includes the users without history, whose popular lists are the same on both paths: "
                     "average over ch09.ranked_users() only.")
    return wrong("for u in ch09.ranked_users(), count the items two top-10 lists share (the normal path and one with "
                 "faults={'ranking': 'error'}, both with budget_ms=None and clock=as_of), divide by 10, and average.")


def closed_loop(service, clients: int, requests_per_client: int = 60, k: int = 10) -> dict:
    """A closed-loop load test: ``clients`` threads, each sending its next request as soon as the last returns.

    Returns the wall-clock ``seconds``, the ``requests`` completed and each request's
    ``latencies`` (seconds, as the client saw them). Users cycle through 0–2,999.
    """
    import time
    from concurrent.futures import ThreadPoolExecutor

    if int(clients) != clients or clients < 1:
        raise ValueError(f"closed_loop: clients must be an integer ≥ 1, got {clients!r}")

    def one_client(index):
        latencies = []
        for step in range(requests_per_client):
            began = time.perf_counter()
            status, _ = service.post("/recommend", {"user_id": (index * 997 + step * 31) % 3_000, "k": k})
            latencies.append(time.perf_counter() - began)
            if status != 200:
                raise RuntimeError(f"closed_loop: the service answered {status}")
        return latencies

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies = [value for client in pool.map(one_client, range(clients)) for value in client]
    return {"seconds": time.perf_counter() - started, "requests": len(latencies), "latencies": latencies}


@exercise
def check_4(answer) -> CheckResult:
    """Exercise 4: Little's law on a closed loop of 4 clients: throughput × mean latency ≈ requests in flight."""
    if not isinstance(answer, dict) or not {"throughput", "latency", "in_flight"} <= set(answer):
        return wrong("answer with a dict: {'throughput': requests per second, 'latency': mean seconds per request, "
                     "'in_flight': their product}.")
    values = {key: as_number(answer[key], key) for key in ("throughput", "latency", "in_flight")}
    for value in values.values():
        if isinstance(value, CheckResult):
            return value
    throughput, latency, in_flight = values["throughput"], values["latency"], values["in_flight"]
    if not close(in_flight, throughput * latency, rtol=0.01):
        return wrong(f"in_flight should be throughput × latency = {throughput * latency:.3g}, not {in_flight:.3g}.")
    if latency > 1:
        return wrong("the latency looks like milliseconds; Little's law needs one unit of time: seconds here.")
    if not 3.0 <= in_flight <= 4.2:
        return wrong(f"throughput × latency = {in_flight:.3g}, but 4 clients that always have one request out "
                     "should keep about 4 in flight: use requests / seconds for the throughput and the mean of "
                     "the latencies, from the same run.")
    return correct(f"{throughput:.0f} requests/s × {latency * 1000:.1f} ms = {in_flight:.2f} requests in flight, about "
                   "the 4 clients (a little less: each client spends some time between requests). With one "
                   "worker, latency ≈ clients / throughput: doubling the clients doubles the wait, not the "
                   "throughput. That is why the load test's latency is mostly queueing.")


@lru_cache(maxsize=1)
def _candidate_change() -> float:
    """Share of ranked users whose top 10 differ between the current bundle and one with 100 candidates."""
    import numpy as np
    import pandas as pd

    from ..serving import RequestPath, build_bundle, load_bundle

    directory = Path(tempfile.mkdtemp(prefix="chapter9-release-"))
    atexit.register(shutil.rmtree, directory, True)
    current = _bundle()
    candidate = load_bundle(build_bundle(directory / "bundles", data=_world(), n_candidates=100))
    as_of = pd.Timestamp(current.manifest["as_of"])
    paths = [RequestPath(bundle, budget_ms=None, clock=as_of) for bundle in (current, candidate)]
    users = ranked_users()
    return float(np.mean([paths[0].recommend(u, k=10).items != paths[1].recommend(u, k=10).items for u in users]))


@exercise
def check_5(share) -> CheckResult:
    """Exercise 5: share of ranked users whose top 10 a 100-candidate release would change."""
    value = as_number(share, "the share")
    if isinstance(value, CheckResult):
        return value
    expected = _candidate_change()
    verdict = numeric_verdict(value, expected, "the share of ranked users whose list the release changes",
                              explain="A shadow comparison like this, before the switch, says how much of the "
                                      "traffic a release touches; an A/B test (chapter 11) says whether it is better.")
    if verdict is not None:
        return verdict
    if close(value, 1 - expected):
        return wrong("that is the share whose list stays the same.")
    return wrong("build the candidate with serving.build_bundle(exercise_folder, data=..., n_candidates=100, "
                 "make_current=False), load it from exercise_folder / 'versions' / its id, and compare the two "
                 "paths' top 10 for u in ch09.ranked_users().")
