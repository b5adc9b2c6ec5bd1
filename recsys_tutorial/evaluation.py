"""Offline evaluation of top-k recommendations: accuracy, beyond-accuracy, and uncertainty.

Every metric takes ``recommended``, an ``(n_users, k)`` array of item ids (``-1`` pads a short
list), and ``relevant``, a sparse ``(n_users, n_items)`` matrix whose non-zeros are the items that
count as hits for each user (their values are graded relevance, 1 for binary). Each returns one
value per user; `evaluate` averages them over users with at least one relevant item.

With hit_j = 1 when the item at rank j (1-based) is relevant, R = |relevant|:

* precision@k = Σ_j hit_j / k
* recall@k    = Σ_j hit_j / R
* hit rate@k  = 1 if any hit_j
* MRR@k       = 1 / (rank of the first hit), 0 without a hit
* AP@k        = Σ_j hit_j · precision@j / min(k, R)   (MAP: its mean over users). Some libraries
  divide by R instead, which penalises users with more than k relevant items for what no list
  of length k could hold; others divide by the number of hits, which rewards lists with one lucky
  hit. ``normalize="R"`` gives the first.
* NDCG@k      = DCG / IDCG, DCG = Σ_j rel_j / log2(j + 1), IDCG the DCG of the best possible
  list (linear gains, as scikit-learn's ``ndcg_score``)

Beyond accuracy, over all lists: catalogue coverage (share of items recommended to anyone),
novelty (mean self-information −log2 p_i of recommended items, p_i the share of training users
who have item i), intra-list diversity (share of pairs in a list from different categories, or
mean pairwise cosine distance of item embeddings) and personalisation (1 − mean overlap of two
users' lists).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.stats

from .data import interaction_matrix

__all__ = [
    "relevance_matrix",
    "hits",
    "precision_at_k",
    "recall_at_k",
    "hit_rate_at_k",
    "reciprocal_rank_at_k",
    "average_precision_at_k",
    "ndcg_at_k",
    "coverage",
    "novelty",
    "intra_list_diversity",
    "personalisation",
    "evaluate",
    "sampled_evaluate",
    "confidence_interval",
    "paired_test",
]


# ---------------------------------------------------------------------------------------------
# Inputs


def relevance_matrix(
    test: pd.DataFrame, n_users: int, n_items: int, grade: str | None = None, seen_in: pd.DataFrame | None = None
) -> sp.csr_matrix:
    """Sparse ``(n_users, n_items)`` relevance from test interactions: 1 per (user, item), or the
    maximum of column ``grade`` (e.g. ``"rating"``) for graded relevance.

    With ``seen_in`` (the training interactions), pairs the user already had there are not
    relevant: a recommender is asked for *new* items."""
    users, items = test["user_id"].to_numpy(), test["item_id"].to_numpy()
    if len(test) and (users.max() >= n_users or items.max() >= n_items):
        raise ValueError(f"relevance_matrix: test ids exceed the shape ({n_users}, {n_items})")
    if grade is None:
        values = np.ones(len(test))
    else:
        values = test[grade].to_numpy(dtype=float)
        if np.isnan(values).any() or (values < 0).any():
            raise ValueError(f"relevance_matrix: column '{grade}' must be non-negative without NaN")
    frame = pd.DataFrame({"u": users, "i": items, "v": values}).groupby(["u", "i"], as_index=False)["v"].max()
    relevant = sp.csr_matrix((frame["v"].to_numpy(), (frame["u"], frame["i"])), shape=(n_users, n_items))
    if seen_in is not None:
        seen = interaction_matrix(seen_in, shape=(n_users, n_items))
        relevant = relevant - relevant.multiply(seen > 0)
    relevant.eliminate_zeros()  # a grade of 0 means "not relevant"
    return sp.csr_matrix(relevant)


def hits(recommended, relevant: sp.csr_matrix) -> np.ndarray:
    """Relevance of each recommended item: an ``(n_users, k)`` float array (0 for misses and padding)."""
    recommended = _check_recommended(recommended, relevant)
    n_users, k = recommended.shape
    rows = np.repeat(np.arange(n_users), k)
    cols = recommended.ravel()
    valid = cols >= 0
    gains = np.zeros(n_users * k)
    if valid.any():
        gains[valid] = np.asarray(relevant[rows[valid], cols[valid]]).ravel()
    return gains.reshape(n_users, k)


# ---------------------------------------------------------------------------------------------
# Accuracy metrics, one value per user


def precision_at_k(recommended, relevant) -> np.ndarray:
    """Share of the k recommended items that are relevant."""
    h = hits(recommended, relevant) > 0
    return h.sum(axis=1) / h.shape[1]


def recall_at_k(recommended, relevant) -> np.ndarray:
    """Share of the user's relevant items found in the list (0 for users with none)."""
    h = hits(recommended, relevant) > 0
    return _safe_divide(h.sum(axis=1), _n_relevant(relevant))


def hit_rate_at_k(recommended, relevant) -> np.ndarray:
    """1 if the list holds at least one relevant item."""
    return (hits(recommended, relevant) > 0).any(axis=1).astype(float)


def reciprocal_rank_at_k(recommended, relevant) -> np.ndarray:
    """1 / rank of the first relevant item (0 if none in the top k)."""
    h = hits(recommended, relevant) > 0
    first = h.argmax(axis=1)
    return np.where(h.any(axis=1), 1.0 / (first + 1), 0.0)


def average_precision_at_k(recommended, relevant, normalize: str = "min(k,R)") -> np.ndarray:
    """Average precision at k; ``normalize`` is ``"min(k,R)"`` (default) or ``"R"`` (see module docs)."""
    h = (hits(recommended, relevant) > 0).astype(float)
    k = h.shape[1]
    precision_at_j = np.cumsum(h, axis=1) / np.arange(1, k + 1)
    n_relevant = _n_relevant(relevant)
    if normalize == "min(k,R)":
        denominator = np.minimum(k, n_relevant)
    elif normalize == "R":
        denominator = n_relevant
    else:
        raise ValueError(f"average_precision_at_k: normalize must be 'min(k,R)' or 'R', got {normalize!r}")
    return _safe_divide((precision_at_j * h).sum(axis=1), denominator)


def ndcg_at_k(recommended, relevant) -> np.ndarray:
    """Normalised discounted cumulative gain with linear gains (binary or graded relevance)."""
    gains = hits(recommended, relevant)
    k = gains.shape[1]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = gains @ discounts
    return _safe_divide(dcg, _ideal_dcg(relevant, k, discounts))


# ---------------------------------------------------------------------------------------------
# Beyond accuracy


def coverage(recommended, n_items: int) -> float:
    """Share of the catalogue recommended to at least one user."""
    recommended = np.asarray(recommended)
    return len(np.unique(recommended[recommended >= 0])) / n_items


def novelty(recommended, item_popularity, n_users: int) -> np.ndarray:
    """Mean self-information −log2(p_i) of each list, p_i = (users with item i) / n_users.

    Items nobody had in training get p = 1 / (n_users + 1), the most novel value, rather than ∞.
    """
    recommended = np.asarray(recommended)
    p = np.maximum(np.asarray(item_popularity, dtype=float), 0) / n_users
    p = np.where(p > 0, p, 1.0 / (n_users + 1))
    information = -np.log2(np.minimum(p, 1.0))
    valid = recommended >= 0
    values = np.where(valid, information[np.where(valid, recommended, 0)], 0.0)
    return _safe_divide(values.sum(axis=1), valid.sum(axis=1))


def intra_list_diversity(recommended, item_categories=None, item_embeddings=None) -> np.ndarray:
    """Mean pairwise dissimilarity within each list.

    Give ``item_categories`` (one label per item: dissimilarity 1 for different categories) or
    ``item_embeddings`` (an ``(n_items, d)`` array: dissimilarity 1 − cosine similarity).
    """
    recommended = np.asarray(recommended)
    if (item_categories is None) == (item_embeddings is None):
        raise ValueError("intra_list_diversity: give exactly one of item_categories or item_embeddings")
    valid = recommended >= 0
    safe = np.where(valid, recommended, 0)
    pair_valid = valid[:, :, None] & valid[:, None, :]
    off_diagonal = ~np.eye(recommended.shape[1], dtype=bool)[None]
    if item_categories is not None:
        codes = pd.factorize(np.asarray(item_categories))[0][safe]  # (n, k)
        dissimilar = (codes[:, :, None] != codes[:, None, :]).astype(float)
    else:
        vectors = np.asarray(item_embeddings, dtype=float)
        unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        lists = unit[safe]  # (n, k, d)
        dissimilar = 1.0 - np.einsum("nkd,njd->nkj", lists, lists)
    mask = pair_valid & off_diagonal
    return _safe_divide((dissimilar * mask).sum(axis=(1, 2)), mask.sum(axis=(1, 2)))


def personalisation(recommended) -> float:
    """1 − the mean share of items two different users' lists have in common.

    Exact and linear in the number of lists: with c_i the number of lists holding item i, the
    pairs of lists sharing i number c_i (c_i − 1), so the mean overlap is
    Σ_i c_i (c_i − 1) / (n (n − 1) k).
    """
    recommended = np.asarray(recommended)
    n, k = recommended.shape
    if n < 2:
        raise ValueError("personalisation: needs at least two lists")
    counts = np.bincount(recommended[recommended >= 0])
    return float(1.0 - (counts * (counts - 1.0)).sum() / (n * (n - 1) * k))


# ---------------------------------------------------------------------------------------------
# Evaluating a model


def evaluate(
    model,
    train: pd.DataFrame,
    test: pd.DataFrame,
    k: int = 10,
    per_user: bool = False,
    exclude_seen: bool = True,
    item_categories=None,
    grade: str | None = None,
) -> pd.Series | pd.DataFrame:
    """Evaluate a fitted model on ``test``, against what it was trained on (``train``).

    The test users are those with at least one relevant item: an item they interacted with in
    ``test`` and, when ``exclude_seen`` (the default), not already in ``train``, since a
    recommender is asked for new items. Users unseen in training are included and get the
    model's cold-start fallback.

    Returns a Series of means indexed ``precision@k``, ``recall@k``, ``ndcg@k``, ``map@k``,
    ``mrr@k``, ``hit_rate@k``, ``novelty@k``, ``coverage@k``, ``personalisation@k`` (and
    ``diversity@k`` with ``item_categories``), plus ``users``; or, with ``per_user=True``, the
    per-user DataFrame of the accuracy, novelty and diversity columns.
    """
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"evaluate: k must be a positive integer, got {k!r}")
    n_users = int(max(train["user_id"].max(), test["user_id"].max())) + 1
    n_items = int(max(train["item_id"].max(), test["item_id"].max(), getattr(model, "n_items_", 0) - 1)) + 1
    relevant = relevance_matrix(test, n_users, n_items, grade=grade, seen_in=train if exclude_seen else None)
    seen = interaction_matrix(train, shape=(n_users, n_items))
    users = np.flatnonzero(np.diff(relevant.indptr) > 0)
    if len(users) == 0:
        raise ValueError("evaluate: no test user has a relevant item (after removing items seen in training)")
    recommended, _ = model.recommend(users, k=k, exclude_seen=exclude_seen)
    rel = relevant[users]
    frame = pd.DataFrame(
        {
            f"precision@{k}": precision_at_k(recommended, rel),
            f"recall@{k}": recall_at_k(recommended, rel),
            f"ndcg@{k}": ndcg_at_k(recommended, rel),
            f"map@{k}": average_precision_at_k(recommended, rel),
            f"mrr@{k}": reciprocal_rank_at_k(recommended, rel),
            f"hit_rate@{k}": hit_rate_at_k(recommended, rel),
            f"novelty@{k}": novelty(recommended, np.asarray(seen.sum(axis=0)).ravel(), train["user_id"].nunique()),
        },
        index=pd.Index(users, name="user_id"),
    )
    if item_categories is not None:
        frame[f"diversity@{k}"] = intra_list_diversity(recommended, item_categories=item_categories)
    if per_user:
        return frame
    summary = frame.mean()
    summary[f"coverage@{k}"] = coverage(recommended, n_items)
    summary[f"personalisation@{k}"] = personalisation(recommended) if len(users) > 1 else np.nan
    summary["users"] = len(users)
    return summary


def sampled_evaluate(
    model, train: pd.DataFrame, test: pd.DataFrame, n_negatives: int = 100, k: int = 10, random_state: int | None = 0
) -> pd.Series:
    """Hit rate and NDCG at k when each test item is ranked against ``n_negatives`` sampled items.

    The protocol of many papers, criticised by Krichene & Rendle (KDD 2020): for every (user,
    test item) pair, draw ``n_negatives`` items uniformly from those the user never interacted
    with, and rank the test item among them; ties are broken at random (in expectation). Shown
    in chapter 6 to compare with full ranking.
    """
    rng = np.random.default_rng(random_state)
    n_users = int(max(train["user_id"].max(), test["user_id"].max())) + 1
    n_items = model.n_items_
    test = test[test["item_id"] < n_items].drop_duplicates(["user_id", "item_id"])
    everything = interaction_matrix(pd.concat([train, test]), shape=(n_users, n_items))
    seen = interaction_matrix(train, shape=(n_users, n_items))
    test = test[np.asarray(seen[test["user_id"].to_numpy(), test["item_id"].to_numpy()]).ravel() == 0]
    users, targets = test["user_id"].to_numpy(), test["item_id"].to_numpy()
    negatives = rng.integers(0, n_items, size=(len(users), n_negatives))

    def interacted(negatives):
        return np.asarray(everything[np.repeat(users, n_negatives), negatives.ravel()]).reshape(negatives.shape) > 0

    for _ in range(100):  # redraw negatives the user has interacted with
        bad = interacted(negatives)
        if not bad.any():
            break
        negatives[bad] = rng.integers(0, n_items, size=int(bad.sum()))
    else:
        bad = interacted(negatives)
        if bad.any():
            user = int(users[np.flatnonzero(bad.any(axis=1))[0]])
            raise ValueError(
                f"sampled_evaluate: could not draw {n_negatives} items that user {user} never interacted with "
                f"after 100 redraws ({int(np.diff(everything.indptr)[user])} of {n_items} items are theirs); "
                "use fewer negatives or evaluate with full ranking"
            )
    candidates = np.concatenate([targets[:, None], negatives], axis=1)  # target in column 0
    above = np.empty(len(users), dtype=np.int64)
    tied = np.empty(len(users), dtype=np.int64)
    for start in range(0, len(users), 2048):
        sl = slice(start, start + 2048)
        scores = model.score_items(users[sl])
        cand_scores = np.take_along_axis(scores, candidates[sl], axis=1)
        above[sl] = (cand_scores[:, 1:] > cand_scores[:, :1]).sum(axis=1)
        tied[sl] = (cand_scores[:, 1:] == cand_scores[:, :1]).sum(axis=1)
    hit, gain = _expected_top_k(above, tied, k)
    return pd.Series({f"hit_rate@{k}": hit.mean(), f"ndcg@{k}": gain.mean(), "pairs": len(users)})


def _expected_top_k(above: np.ndarray, tied: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected hit@k and DCG@k of a target with ``above`` items scored higher and ``tied`` equal.

    Ties are broken at random: the target's rank is uniform on above + 1 .. above + tied + 1.
    Counting ties in the target's favour instead would flatter models that give many items the
    same score (a truncated neighbourhood scores most items exactly 0).
    """
    ranks = np.arange(1, k + 1)[None, :]  # (1, k)
    possible = (ranks >= above[:, None] + 1) & (ranks <= above[:, None] + tied[:, None] + 1)  # (n, k)
    hit = possible.sum(axis=1) / (tied + 1)
    gain = (possible / np.log2(ranks + 1)).sum(axis=1) / (tied + 1)
    return hit, gain


# ---------------------------------------------------------------------------------------------
# Uncertainty


def confidence_interval(per_user, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of per-user values and its t-interval: ``(mean, low, high)``.

    Per-user metrics are independent across users (not within a user), so the standard error of
    the mean is std / √n; with thousands of users the t and normal intervals agree.
    """
    values = np.asarray(per_user, dtype=float)
    if len(values) < 2:
        raise ValueError("confidence_interval: need at least two values")
    mean = values.mean()
    half = scipy.stats.t.ppf(0.5 + level / 2, df=len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(mean), float(mean - half), float(mean + half)


def paired_test(per_user_a, per_user_b, n_bootstrap: int = 2000, random_state: int | None = 0) -> pd.Series:
    """Is model A different from model B on the same users? Paired t-test and paired bootstrap.

    ``per_user_a`` and ``per_user_b`` are per-user values of one metric, indexed by user (as from
    ``evaluate(..., per_user=True)[metric]``); only users present in both are compared. Returns
    the mean difference A − B, its bootstrap 95 % interval, and the t-test's p-value.
    """
    a, b = pd.Series(per_user_a), pd.Series(per_user_b)
    common = a.index.intersection(b.index)
    if len(common) < 2:
        raise ValueError("paired_test: the two models share fewer than two users")
    diff = (a[common] - b[common]).to_numpy(dtype=float)
    rng = np.random.default_rng(random_state)
    boot = diff[rng.integers(0, len(diff), size=(n_bootstrap, len(diff)))].mean(axis=1)
    t = scipy.stats.ttest_rel(a[common].to_numpy(dtype=float), b[common].to_numpy(dtype=float))
    return pd.Series(
        {
            "mean difference": diff.mean(),
            "ci low": np.quantile(boot, 0.025),
            "ci high": np.quantile(boot, 0.975),
            "p-value": float(t.pvalue),
            "users": len(common),
        }
    )


# ---------------------------------------------------------------------------------------------


def _check_recommended(recommended, relevant) -> np.ndarray:
    recommended = np.asarray(recommended)
    if recommended.ndim != 2:
        raise ValueError(f"recommended must be a 2-D (n_users, k) array, got shape {recommended.shape}")
    if recommended.shape[1] < 1:
        raise ValueError("recommended must have k >= 1 columns")
    if not sp.issparse(relevant):
        raise ValueError("relevant must be a scipy sparse (n_users, n_items) matrix (see relevance_matrix)")
    if relevant.shape[0] != recommended.shape[0]:
        raise ValueError(
            f"recommended has {recommended.shape[0]} rows but relevant has {relevant.shape[0]}: one row per user in both"
        )
    if not np.issubdtype(recommended.dtype, np.integer):
        raise ValueError(f"recommended must hold integer item ids, got dtype {recommended.dtype}")
    if recommended.size and (recommended.min() < -1 or recommended.max() >= relevant.shape[1]):
        raise ValueError(
            f"recommended item ids must lie in 0..{relevant.shape[1] - 1} (or -1 for padding), "
            f"found {recommended.min()}..{recommended.max()}"
        )
    ordered = np.sort(recommended, axis=1)
    repeated = (ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] >= 0)
    if repeated.any():
        row = int(np.flatnonzero(repeated.any(axis=1))[0])
        raise ValueError(
            f"recommended: row {row} lists an item more than once ({recommended[row].tolist()}); "
            "each list must hold distinct items (pad with -1)"
        )
    return recommended


def _n_relevant(relevant: sp.csr_matrix) -> np.ndarray:
    return np.diff(sp.csr_matrix(relevant).indptr).astype(float)


def _ideal_dcg(relevant: sp.csr_matrix, k: int, discounts: np.ndarray) -> np.ndarray:
    """DCG of the best list: each user's relevance values sorted descending, top k."""
    relevant = sp.csr_matrix(relevant)
    n_users = relevant.shape[0]
    counts = np.diff(relevant.indptr)
    ideal = np.zeros((n_users, k))
    if relevant.nnz:
        rows = np.repeat(np.arange(n_users), counts)
        order = np.lexsort((-relevant.data, rows))  # by user, then descending relevance
        position = np.arange(relevant.nnz) - np.repeat(relevant.indptr[:-1], counts)
        values, rows_sorted = relevant.data[order], rows[order]
        keep = position < k
        ideal[rows_sorted[keep], position[keep]] = values[keep]
    return ideal @ discounts


def _safe_divide(numerator, denominator) -> np.ndarray:
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)
