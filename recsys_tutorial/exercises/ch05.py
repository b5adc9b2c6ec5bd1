"""Checks for chapter 5 (candidate generation)."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import retrieval
from . import CheckResult, as_number, close, correct, wrong

__all__ = ["check_1", "check_2", "check_3"]


def check_1(recall) -> CheckResult:
    """Exercise 1: recall@4 of two approximate lists."""
    value = as_number(recall, "the recall")
    if isinstance(value, CheckResult):
        return value
    approx, exact = np.array([[4, 8, 15, 16], [23, 42, 1, 2]]), np.array([[4, 15, 7, 16], [42, 5, 6, 23]])
    expected = retrieval.neighbour_recall(approx, exact)
    if close(value, expected):
        return correct(f"{expected:.3f}: 3 of 4 neighbours found for the first query, 2 of 4 for the second.")
    if close(value, 2 / 8):
        return wrong("that counts only items at the same *position*; recall ignores order within the top k.")
    return wrong("for each query, count the exact neighbours that appear anywhere in the approximate list, "
                 "then divide the total by 8.")


def check_2(megabytes) -> CheckResult:
    """Exercise 2: memory of 10 M float32 vectors of dimension 64."""
    value = as_number(megabytes, "a number of megabytes")
    if isinstance(value, CheckResult):
        return value
    expected = 10_000_000 * 64 * 4 / 2**20
    if close(value, expected, rtol=1e-3):
        return correct(f"{expected:,.0f} MB (about 2.4 GB): fine on one machine, but 100 M items would not be.")
    if close(value, 10_000_000 * 64 * 8 / 2**20, rtol=1e-3):
        return wrong("float32 takes 4 bytes per number, not 8.")
    if close(value, 10_000_000 * 64 * 4 / 1e6, rtol=1e-3):
        return wrong("that uses 10⁶ bytes per MB; the question asks for 2²⁰.")
    return wrong("vectors × dimension × 4 bytes, divided by 2²⁰.")


@lru_cache(maxsize=1)
def _merged_recall_by_size():
    from .. import evaluation, split
    from ..data import make_synthetic
    from ..models import ALS, ItemKNN, Popularity
    from ..data import interaction_matrix

    world = make_synthetic(random_state=0)
    train, test = split.temporal_split(world.interactions, test_fraction=0.2)
    als = ALS(random_state=0).fit(train)
    seen = interaction_matrix(train, shape=(als.n_users_, als.n_items_))
    test = test[(test["user_id"] < als.n_users_) & (test["item_id"] < als.n_items_)]
    relevant = evaluation.relevance_matrix(test, als.n_users_, als.n_items_, seen_in=train)
    users = np.flatnonzero((np.diff(relevant.indptr) > 0) & (np.diff(seen.indptr) > 0))
    index = retrieval.build_index(als.item_embeddings(), kind="hnsw", metric="ip")
    knn, pop = ItemKNN().fit(train), Popularity().fit(train)
    out = {}
    for size in (10, 50, 100, 200, 500):
        merged, _ = retrieval.merge_candidates(
            {
                "ann": retrieval.search_unseen(index, als.user_embeddings()[users], seen[users], k=size)[0],
                "covisit": knn.recommend(users, k=size)[0],
                "popular": pop.recommend(users, k=size)[0],
            },
            n=size,
        )
        out[size] = retrieval.candidate_recall(merged, relevant[users]).mean()
    return out


def check_3(pool_size) -> CheckResult:
    """Exercise 3: the smallest pool size whose merged candidate recall exceeds 0.5."""
    value = as_number(pool_size, "a pool size")
    if isinstance(value, CheckResult):
        return value
    recall = _merged_recall_by_size()
    expected = min(size for size, r in recall.items() if r > 0.5)
    if value == expected:
        return correct(f"{expected} candidates (merged recall {recall[expected]:.3f}).")
    if value not in recall:
        return wrong(f"choose among the pool sizes of the table: {sorted(recall)}.")
    return wrong(f"look at the merged column: at {int(value)} candidates its recall is {recall[int(value)]:.3f}.")
