"""The request path: user → candidates (FAISS) → features (store) → ranker → rules → response.

Each stage is timed on every request. Nothing in it may turn a request into an error: an
unknown user gets the popular items; a stage that raises, or a request already past its time
budget, hands on the previous stage's output (retrieval order instead of the ranker's, popular
items instead of retrieval's); the response names what happened in ``fallback``. A user without
history counts as unknown.

**The rules always run**, on whatever list the request has: the ranker's, retrieval's or the
popular items. Business rules are where compliance filters live, so the budget never skips
them; if the rules themselves fail, the response is an empty list (and says so) rather than a
list nobody checked.

**Request time.** Each request is answered at its own time ``at`` (default: the path's
``clock``): the hour, the weekday and the days since the user's last event are computed at
``at``; every other feature is the store's latest row (as of the snapshot time), as in a
service whose store a batch job refreshes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..rerank import category_cap
from .assemble import FeatureAssembler, naive_utc

__all__ = ["RequestPath", "Recommendation", "STAGES", "system_clock"]

log = logging.getLogger(__name__)

#: The stages of the request path, in order. Each is timed. When retrieval, features or ranking
#: fails or the budget runs out, the list is the previous stage's; the rules always run.
STAGES = ("retrieval", "features", "ranking", "rules")


def system_clock() -> pd.Timestamp:
    """Now, in UTC without a time zone (the convention of the package's timestamps)."""
    return pd.Timestamp.now(tz="UTC").tz_localize(None)


@dataclass
class Recommendation:
    """One response: items best first, their scores (the ranker's, or retrieval's when the ranker
    did not run; None for popular items), the fallback taken (None: none), stage timings in ms,
    the request's time, and the ranker's feature rows of the served items (None when the ranker
    did not order them): what an impression log keeps."""

    items: list
    scores: list
    fallback: str | None
    timings_ms: dict = field(default_factory=dict)
    at: pd.Timestamp | None = None
    features: np.ndarray | None = None


class RequestPath:
    """Recommendations for one user at a time from a loaded `bundle.Bundle`.

    Parameters
    ----------
    bundle : Bundle
    max_per_category : int
        The business rule: at most this many items of one category in the response.
    budget_ms : float or None
        Time budget of a request; features and ranking are skipped once it is spent (None: none).
        The rules are never skipped.
    faults : dict
        Stage name → ``"error"`` (the stage raises) or ``"slow"`` (it takes ``budget_ms`` more),
        to demonstrate and test the fallbacks.
    clock : callable, timestamp or None
        The time of a request that carries none: a function returning it, a fixed moment
        (notebooks, tests, replays), or None for `system_clock`.
    """

    def __init__(self, bundle, max_per_category: int = 3, budget_ms: float | None = 50.0, faults=None,
                 clock: Callable[[], pd.Timestamp] | pd.Timestamp | str | None = None):  # fmt: skip
        if int(max_per_category) != max_per_category or max_per_category < 1:
            raise ValueError(f"RequestPath: max_per_category must be an integer ≥ 1, got {max_per_category!r}")
        if budget_ms is not None and not budget_ms > 0:
            raise ValueError(f"RequestPath: budget_ms must be positive or None, got {budget_ms!r}")
        unknown = {stage: kind for stage, kind in dict(faults or {}).items()
                   if stage not in STAGES or kind not in ("error", "slow")}  # fmt: skip
        if unknown:
            raise ValueError(f"RequestPath: faults map a stage of {list(STAGES)} to 'error' or 'slow'; got {unknown}")
        self.bundle = bundle
        self.max_per_category = int(max_per_category)
        self.budget_ms = budget_ms
        self.faults = dict(faults or {})
        if clock is None:
            clock = system_clock
        elif not callable(clock):
            fixed = naive_utc(clock)
            clock = lambda: fixed  # noqa: E731 - a fixed moment, as a clock
        self.clock = clock
        manifest = bundle.manifest
        self.as_of = pd.Timestamp(manifest["as_of"])
        self.n_candidates = int(manifest["n_candidates"])
        self.n_users = bundle.user_vectors.shape[0]
        self.features = manifest["feature_columns"]
        tables = {table: bundle.store.columns(table) for table in manifest["store_tables"]}
        self.assembler = FeatureAssembler(self.features, tables, bundle.item_category, manifest["sources"],
                                          snapshot_time=self.as_of, item_genres=bundle.item_genres)
        self.source = manifest["sources"][0]
        # Item rows change only when a new snapshot lands: cached in the process, read once.
        self.item_rows = bundle.store.read("item", np.arange(len(bundle.item_category)))
        self.user_vectors32 = np.ascontiguousarray(bundle.user_vectors, dtype=np.float32)

    def recommend(self, user_id: int, k: int = 10, at=None) -> Recommendation:
        """The top ``k`` items for ``user_id`` at time ``at`` (default: the clock's now)."""
        start = time.perf_counter()
        if isinstance(user_id, bool) or not isinstance(user_id, int | np.integer):
            raise TypeError(f"RequestPath.recommend: user_id must be an integer, got {user_id!r}")
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
            raise ValueError(f"RequestPath.recommend: k must be an integer ≥ 1, got {k!r}")
        at = self.clock() if at is None else naive_utc(at)
        if at < self.as_of:
            raise ValueError(f"RequestPath.recommend: request time {at} is before the bundle's snapshot "
                             f"({self.as_of}); its features describe a later moment (replay old requests "
                             "against an offline store)")
        timings: dict[str, float] = {}
        served_rows = None  # the feature rows of the list, in its order, once the ranker has ordered it
        if not 0 <= user_id < self.n_users or not len(self.bundle.seen(user_id)):
            # No history, no vector worth the name: the most popular items (then the rules).
            fallback = "unknown user: popular items"
            candidates = self.bundle.popular[: max(k, self.n_candidates)]
            scores = np.full(len(candidates), np.nan)
            optional = ()
        else:
            fallback, candidates, scores = None, None, None
            optional = STAGES[:-1]
        for stage in optional:
            if self.budget_ms is not None and _ms(start) > self.budget_ms:
                fallback = f"over the {self.budget_ms:g} ms budget before {stage}: {_SERVED_INSTEAD[stage]}"
                break
            began = time.perf_counter()
            try:
                self._inject(stage)
                if stage == "retrieval":
                    candidates, retrieval_scores, ranks = self._retrieve(user_id)
                    scores = retrieval_scores
                elif stage == "features":
                    rows = self._features(user_id, candidates, retrieval_scores, ranks, at)
                else:
                    ranked = self.bundle.booster.predict(rows, num_threads=1)
                    order = np.lexsort((ranks, -ranked))  # ties: the retrieval order
                    candidates, scores, served_rows = candidates[order], ranked[order], rows[order]
            except Exception:  # a failing stage must never fail the request
                log.warning("stage %s failed for user %s", stage, user_id, exc_info=True)
                fallback = f"{stage} failed: {_SERVED_INSTEAD[stage]}"
                timings[stage] = _ms(began)
                if stage == "retrieval":
                    candidates = self.bundle.popular[: max(k, self.n_candidates)]
                    candidates = candidates[~np.isin(candidates, self.bundle.seen(user_id))]
                    scores = np.full(len(candidates), np.nan)
                break
            timings[stage] = _ms(began)
        # The rules, on whatever list there is.
        began = time.perf_counter()
        try:
            self._inject("rules")
            # The cap keeps the list's order; an unscored list (popular items) is capped in its order.
            kept = np.isin(candidates, category_cap(candidates, -np.arange(len(candidates), dtype=np.float64),
                                                    self.bundle.item_category, self.max_per_category)[0])
            candidates, scores = candidates[kept], scores[kept]
            if served_rows is not None:
                served_rows = served_rows[kept]
        except Exception:
            log.error("the rules failed for user %s: nothing served", user_id, exc_info=True)
            fallback = "rules failed: no list served (a list the rules did not check is never served)"
            candidates, scores, served_rows = candidates[:0], scores[:0], None
        timings["rules"] = _ms(began)
        timings["total"] = _ms(start)
        top_scores = [None if np.isnan(s) else float(s) for s in scores[:k]]
        return Recommendation(candidates[:k].tolist(), top_scores, fallback, timings, at,
                              None if served_rows is None else served_rows[:k])

    def candidate_features(self, user_id: int, at=None) -> tuple[np.ndarray, np.ndarray]:
        """Every candidate the ranker would score for a known user at ``at``, and their feature rows.

        What a feature log samples for monitoring: the distribution the ranker sees online, to
        compare with its training frame (chapter 10's PSI), free of the selection a list of
        served items carries. No fallbacks, no timings: a user without history raises.
        """
        at = self.clock() if at is None else naive_utc(at)
        if not 0 <= user_id < self.n_users or not len(self.bundle.seen(user_id)):
            raise ValueError(f"RequestPath.candidate_features: user {user_id} has no history in the bundle")
        candidates, scores, ranks = self._retrieve(user_id)
        return candidates, self._features(user_id, candidates, scores, ranks, at)

    def _retrieve(self, user_id: int):
        """The ``n_candidates`` best unseen items by the user's vector: ANN search, then exact rescoring."""
        seen = self.bundle.seen(user_id)
        query = self.user_vectors32[user_id : user_id + 1]
        index = self.bundle.item_index
        _, found = index.search(query, min(self.n_candidates + len(seen), index.ntotal))
        found = found[0][found[0] >= 0]
        found = found[~np.isin(found, seen)]
        # Exact float64 scores, ranked with ties to the lower id, as the offline frame ranks them.
        exact = self.bundle.item_vectors[found] @ self.bundle.user_vectors[user_id]
        order = np.lexsort((found, -exact))[: self.n_candidates]
        return found[order], exact[order], np.arange(len(order), dtype=np.float64)

    def _features(self, user_id, candidates, retrieval_scores, ranks, at) -> np.ndarray:
        store = self.bundle.store
        retrieval = {
            "retrieval__source": np.zeros(len(candidates)),  # one source: its code is 0
            f"retrieval__{self.source}_score": retrieval_scores,
            f"retrieval__{self.source}_rank": ranks,
            "retrieval__n_sources": np.ones(len(candidates)),
        }
        user_row = store.read("user", [user_id])[0]
        category_rows = store.read_keys("user_category", user_id)
        genre_rows = store.read_keys("user_genre", user_id) if self.bundle.item_genres is not None else None
        return self.assembler.assemble(candidates, retrieval, self.item_rows[candidates], user_row, category_rows, at,
                                       genre_rows)

    def _inject(self, stage: str) -> None:
        fault = self.faults.get(stage)
        if fault == "error":
            raise RuntimeError(f"injected fault in {stage}")
        if fault == "slow":
            time.sleep((self.budget_ms or 50.0) / 1000)


#: What a request serves when a stage fails or is skipped (the rules then run on it).
_SERVED_INSTEAD = {"retrieval": "served the popular items the user has not seen",
                   "features": "served in retrieval order", "ranking": "served in retrieval order"}


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0
