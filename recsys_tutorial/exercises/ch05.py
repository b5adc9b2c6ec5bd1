"""Checks for chapter 5 (candidate generation with approximate nearest neighbours).

The expected answers are computed here, from the chapter's data: the clustered catalogue of
100,000 vectors and its 1,000 queries (`retrieval.clustered_vectors`), and the synthetic world
split in time for the candidate pool.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import retrieval
from . import CheckResult, as_number, close, correct, exercise, numeric_verdict, wrong

__all__ = ["check_1", "check_2", "check_3"]

#: Exercise 2: the recall@10 the reader's ``nprobe`` must reach.
RECALL_TARGET = 0.99
#: Exercise 3: the candidates per user of the two-source pool.
POOL_SIZE = 300


@lru_cache(maxsize=1)
def _catalogue() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The chapter's catalogue, queries and their exact top 10."""
    catalogue = retrieval.clustered_vectors(100_000)
    queries = retrieval.clustered_vectors(1_000, random_state=1)
    _, exact = retrieval.build_index(catalogue, kind="flat").search(queries, 10)
    return catalogue, queries, exact


@lru_cache(maxsize=1)
def _pq8_recall() -> dict[str, float]:
    """Recall@10 of IVF-PQ with m = 8, on its codes alone (the answer) and re-ranked (a slip)."""
    catalogue, queries, exact = _catalogue()
    index = retrieval.build_index(catalogue, kind="ivfpq", m=8)
    reranked = retrieval.neighbour_recall(index.search(queries, 10)[1], exact)
    codes = retrieval.neighbour_recall(index.set_search_params(refine_factor=0).search(queries, 10)[1], exact)
    return {"codes only": codes, "re-ranked": reranked}


@exercise
def check_1(recall) -> CheckResult:
    """Exercise 1: recall@10 of IVF-PQ with m = 8 sub-quantisers and no re-ranking."""
    recall_by = _pq8_recall()
    expected = recall_by["codes only"]
    verdict = numeric_verdict(recall, expected, "the recall@10 of IVF-PQ with 8-byte codes",
                              explain=f"Each vector is now 8 bytes of code instead of 256 bytes of floats, and "
                                      f"{1 - expected:.0%} of the true neighbours are lost; re-ranking a short list "
                                      "against the full vectors brings recall back to "
                                      f"{recall_by['re-ranked']:.4f}.")  # fmt: skip
    if verdict is not None:
        return verdict
    value = as_number(recall, "the recall")
    if close(value, recall_by["re-ranked"]):
        return wrong("that recall comes from the re-ranked index (refine_factor=10 by default), which keeps the "
                     "full vectors as well; build it with refine_factor=0 to rank by the codes alone.")
    if 1 < value <= 100 and close(value / 100, expected, rtol=0.01):
        return wrong("give the recall as a share between 0 and 1, not a percentage.")
    if not 0 <= value <= 1:
        return wrong(f"a recall is a share of the true neighbours found, between 0 and 1; got {value:g}.")
    return wrong("build retrieval.build_index(catalogue, kind='ivfpq', m=8, refine_factor=0) and compare its top "
                 "10 per query with the exact top 10 of a flat index (retrieval.neighbour_recall), or pass the "
                 "same settings to retrieval.sweep.")


@lru_cache(maxsize=1)
def _ivf_recall_by_nprobe() -> dict[int, float]:
    catalogue, queries, exact = _catalogue()
    index = retrieval.build_index(catalogue, kind="ivf")
    recall = {}
    for nprobe in range(1, 65):
        found = index.set_search_params(nprobe=nprobe).search(queries, 10)[1]
        recall[nprobe] = retrieval.neighbour_recall(found, exact)
        if recall[nprobe] >= RECALL_TARGET:
            break
    return recall


@exercise
def check_2(nprobe) -> CheckResult:
    """Exercise 2: the smallest nprobe at which the default IVF index reaches recall@10 ≥ 0.99."""
    value = as_number(nprobe, "a number of cells")
    if isinstance(value, CheckResult):
        return value
    recall = _ivf_recall_by_nprobe()
    expected = max(recall)  # the loop stopped at the first nprobe on target
    if value != int(value):
        return wrong("nprobe counts cells, a whole number.")
    value = int(value)
    if value == expected:
        return correct(f"nprobe = {expected}: {expected} of the 1,264 cells (about {expected / 1264:.1%} of the "
                       f"catalogue) give recall@10 {recall[expected]:.4f}. Powers of two would have sent you to "
                       f"{1 << (expected - 1).bit_length()}, scanning more cells than needed.")  # fmt: skip
    if value < 1:
        return wrong("nprobe is at least 1 cell.")
    if value < expected:
        return wrong(f"at nprobe = {value} the recall@10 is {recall[value]:.4f}, still below {RECALL_TARGET}.")
    if value == 1 << (expected - 1).bit_length():
        return wrong("that is the first power of two on target; the chapter only tried powers of two. Try every "
                     "value in between: a smaller nprobe also reaches the target.")
    return wrong("that reaches the target, but a smaller nprobe does too: look for the first value, trying each "
                 "nprobe in turn (retrieval.sweep builds the index once for all of them).")


@lru_cache(maxsize=1)
def _pool_recall() -> dict[str, float]:
    """Candidate recall at POOL_SIZE: the two-source merge (the answer) and typical slips."""
    from .. import evaluation, split
    from ..data import interaction_matrix, make_synthetic
    from ..models import ALS, ItemKNN, Popularity

    world = make_synthetic(random_state=0)
    train, test = split.temporal_split(world.interactions, test_fraction=0.2)
    als = ALS(random_state=0).fit(train)
    seen = interaction_matrix(train, shape=(als.n_users_, als.n_items_))
    test = test[(test["user_id"] < als.n_users_) & (test["item_id"] < als.n_items_)]
    relevant = evaluation.relevance_matrix(test, als.n_users_, als.n_items_, seen_in=train)
    users = np.flatnonzero((np.diff(relevant.indptr) > 0) & (np.diff(seen.indptr) > 0))
    index = retrieval.build_index(als.item_embeddings(), kind="hnsw", metric="ip")
    sources = {
        "embedding ANN": retrieval.search_unseen(index, als.user_embeddings()[users], seen[users], k=POOL_SIZE)[0],
        "co-visitation": ItemKNN().fit(train).recommend(users, k=POOL_SIZE)[0],
        "popularity": Popularity().fit(train).recommend(users, k=POOL_SIZE)[0],
    }
    two = {name: sources[name] for name in ("embedding ANN", "co-visitation")}
    pools = {
        "two sources": retrieval.merge_candidates(two, n=POOL_SIZE)[0],
        "three sources": retrieval.merge_candidates(sources, n=POOL_SIZE)[0],
        "both lists whole": retrieval.merge_candidates(two, n=2 * POOL_SIZE)[0],
        **sources,
    }
    return {name: float(retrieval.candidate_recall(pool, relevant[users]).mean()) for name, pool in pools.items()}


@exercise
def check_3(recall) -> CheckResult:
    """Exercise 3: candidate recall of the embedding ANN + co-visitation pool of 300."""
    by_pool = _pool_recall()
    expected = by_pool["two sources"]
    verdict = numeric_verdict(recall, expected, f"the candidate recall of the two-source pool of {POOL_SIZE}",
                              explain=f"Popularity added to the same budget gives {by_pool['three sources']:.4f}: "
                                      "a third source earns its slots only if it finds items the others "
                                      "miss.")  # fmt: skip
    if verdict is not None:
        return verdict
    value = as_number(recall, "the candidate recall")
    if close(value, by_pool["three sources"]):
        return wrong("that pool includes popularity; the exercise merges only the embedding ANN and co-visitation.")
    if close(value, by_pool["both lists whole"]):
        return wrong(f"that pool keeps both lists whole, up to {2 * POOL_SIZE} candidates; the budget is "
                     f"{POOL_SIZE} per user in all (merge_candidates(..., n={POOL_SIZE})).")
    if close(value, by_pool["embedding ANN"]) or close(value, by_pool["co-visitation"]):
        return wrong("that is one source alone; merge the two (retrieval.merge_candidates) into one pool.")
    return wrong(f"take {POOL_SIZE} candidates from each source for the chapter's users, merge them into a pool of "
                 f"{POOL_SIZE} with retrieval.merge_candidates, and average retrieval.candidate_recall over users.")
