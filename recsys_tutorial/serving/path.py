"""The request path: user → candidates (FAISS) → features (store) → ranker → rules → response.

Each stage is timed on every request. Nothing in it may turn a request into an error: an
unknown user gets the popular items; a stage that raises, or a request already past its time
budget, hands on the previous stage's output (retrieval order instead of the ranker's, the
ranker's order without the rules); the response names what happened in ``fallback``. A user
without history counts as unknown.

The path answers as of the bundle's snapshot time (``manifest["as_of"]``): the features are the
store's rows at that moment and the context is that moment's hour and weekday, so the same
bundle gives the same recommendations after any restart. A live service would pass each
request's own time to the store, which returns the latest rows materialised before it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..ranking.online import FeatureAssembler
from ..rerank import category_cap

__all__ = ["RequestPath", "Recommendation", "STAGES"]

log = logging.getLogger(__name__)

#: The stages of the request path, in order. Each is timed; when one fails or the budget runs out, the
#: response is the previous stage's output.
STAGES = ("retrieval", "features", "ranking", "rules")


@dataclass
class Recommendation:
    """One response: items best first, their scores, the fallback taken (None: none), stage timings in ms."""

    items: list
    scores: list
    fallback: str | None
    timings_ms: dict = field(default_factory=dict)


class RequestPath:
    """Recommendations for one user at a time from a loaded `bundle.Bundle`.

    Parameters
    ----------
    bundle : Bundle
    max_per_category : int
        The business rule: at most this many items of one category in the response.
    budget_ms : float or None
        Time budget of a request; a stage that would start after it is skipped (None: none).
    faults : dict
        Stage name → ``"error"`` (the stage raises) or ``"slow"`` (it takes ``budget_ms`` more),
        to demonstrate and test the fallbacks.
    """

    def __init__(self, bundle, max_per_category: int = 3, budget_ms: float | None = 50.0, faults=None):
        self.bundle = bundle
        self.max_per_category = max_per_category
        self.budget_ms = budget_ms
        self.faults = dict(faults or {})
        manifest = bundle.manifest
        self.as_of = pd.Timestamp(manifest["as_of"])
        self.n_candidates = int(manifest["n_candidates"])
        self.n_users = bundle.user_vectors.shape[0]
        self.features = manifest["feature_columns"]
        tables = {table: bundle.store.columns(table) for table in manifest["store_tables"]}
        self.assembler = FeatureAssembler(self.features, tables, bundle.item_category, manifest["sources"],
                                          item_genres=bundle.item_genres)
        self.source = manifest["sources"][0]
        # Item rows change only when a new snapshot lands: cached in the process, read once.
        self.item_rows = bundle.store.read("item", np.arange(len(bundle.item_category)), self.as_of)
        self.user_vectors32 = np.ascontiguousarray(bundle.user_vectors, dtype=np.float32)

    def recommend(self, user_id: int, k: int = 10) -> Recommendation:
        start = time.perf_counter()
        timings: dict[str, float] = {}
        if not 0 <= user_id < self.n_users or not len(self.bundle.seen(user_id)):
            # No history, no vector worth the name: the most popular items.
            items = self.bundle.popular[:k]
            timings["total"] = _ms(start)
            return Recommendation(items.tolist(), [None] * len(items), "unknown user: popular items", timings)

        fallback = None
        candidates = scores = None
        for stage in STAGES:
            if self.budget_ms is not None and _ms(start) > self.budget_ms:
                fallback = fallback or (
                    f"over the {self.budget_ms:g} ms budget before {stage}: {_previous(stage)} output"
                )
                break
            began = time.perf_counter()
            try:
                self._inject(stage)
                if stage == "retrieval":
                    candidates, retrieval_scores, ranks = self._retrieve(user_id)
                    scores = retrieval_scores
                elif stage == "features":
                    rows = self._features(user_id, candidates, retrieval_scores, ranks)
                elif stage == "ranking":
                    ranked = self.bundle.booster.predict(rows, num_threads=1)
                    order = np.lexsort((ranks, -ranked))  # ties: the retrieval order
                    candidates, scores = candidates[order], ranked[order]
                else:
                    candidates, scores = category_cap(candidates, scores, self.bundle.item_category,
                                                      self.max_per_category)
            except Exception as error:  # a failing stage must never fail the request
                log.warning("stage %s failed for user %s: %r", stage, user_id, error)
                fallback = f"{stage} failed ({type(error).__name__}): {_previous(stage)} output"
                timings[stage] = _ms(began)
                if stage == "retrieval":
                    candidates = self.bundle.popular[: max(k, self.n_candidates)]
                    candidates = candidates[~np.isin(candidates, self.bundle.seen(user_id))]
                    scores = np.full(len(candidates), np.nan)
                break
            timings[stage] = _ms(began)
        timings["total"] = _ms(start)
        top = candidates[:k]
        top_scores = [None if np.isnan(s) else float(s) for s in scores[:k]]
        return Recommendation(top.tolist(), top_scores, fallback, timings)

    def _retrieve(self, user_id: int):
        """The ``n_candidates`` best unseen items by the user's vector: ANN search, then exact rescoring."""
        seen = self.bundle.seen(user_id)
        query = self.user_vectors32[user_id : user_id + 1]
        _, found = self.bundle.item_index.search(query, self.n_candidates + len(seen))
        found = found[0][found[0] >= 0]
        found = found[~np.isin(found, seen)]
        # Exact float64 scores, ranked with ties to the lower id, as the offline frame ranks them.
        exact = self.bundle.item_vectors[found] @ self.bundle.user_vectors[user_id]
        order = np.lexsort((found, -exact))[: self.n_candidates]
        return found[order], exact[order], np.arange(len(order), dtype=np.float64)

    def _features(self, user_id, candidates, retrieval_scores, ranks) -> np.ndarray:
        store, at = self.bundle.store, self.as_of
        retrieval = {
            "retrieval__source": np.zeros(len(candidates)),  # one source: its code is 0
            f"retrieval__{self.source}_score": retrieval_scores,
            f"retrieval__{self.source}_rank": ranks,
            "retrieval__n_sources": np.ones(len(candidates)),
        }
        user_row = store.read("user", [user_id], at)[0]
        category_row = store.read("user_category", [user_id], at)[0]
        genre_row = store.read("user_genre", [user_id], at)[0] if self.bundle.item_genres is not None else None
        return self.assembler.assemble(candidates, retrieval, self.item_rows[candidates], user_row, category_row, at,
                                       genre_row)

    def _inject(self, stage: str) -> None:
        fault = self.faults.get(stage)
        if fault == "error":
            raise RuntimeError(f"injected fault in {stage}")
        if fault == "slow":
            time.sleep((self.budget_ms or 50.0) / 1000)


def _previous(stage: str) -> str:
    return {"retrieval": "popular items'", "features": "retrieval's", "ranking": "retrieval's",
            "rules": "the ranker's"}[stage]


def _ms(since: float) -> float:
    return (time.perf_counter() - since) * 1000.0
