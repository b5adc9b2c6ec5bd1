"""Offline evaluation of top-k recommendations: accuracy, beyond-accuracy, and uncertainty.

Every metric takes ``recommended``, an ``(n_users, k)`` array of item ids (``-1`` pads a short
list), and ``relevant``, a sparse ``(n_users, n_items)`` matrix whose non-zeros are the items that
count as hits for each user (their values are graded relevance, 1 for binary). Each returns one
value per user; `evaluate` averages them over users with at least one relevant item.

With hit_j = 1 when the item at rank j (1-based) is relevant, and ``R = |relevant|``:

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
mean pairwise cosine distance of item embeddings), personalisation (1 − mean overlap of two
users' lists), and the measures of chapter 8:

* distributional coverage: the Shannon entropy (bits) of how often each item is recommended,
  and the Gini index of those counts (0: every item equally often; near 1: a few items take all)
* genre coverage: the share of the genres that appear in a list
* serendipity (Ge, Delgado-Battenfeld & Jannach, RecSys 2010): the share of a list that is both
  relevant and *unexpected*, i.e. absent from what a primitive recommender (popularity) shows
* miscalibration (Steck, RecSys 2018): KL(p‖q̃) between the genre distribution p of the user's
  history and q of the list, q̃ = (1 − α)q + αp so that a genre missing from the list costs a
  large but finite amount
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.stats
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted
from tqdm import tqdm

from .data import interaction_matrix

__all__ = [
    "relevance_matrix",
    "held_out_users",
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
    "distributional_coverage",
    "gini_index",
    "genre_coverage",
    "serendipity",
    "calibration_kl",
    "miscalibration",
    "evaluate",
    "metrics_at_cutoffs",
    "sampled_evaluate",
    "sampled_comparison",
    "confidence_interval",
    "paired_test",
    "paired_table",
    "leaderboard",
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


def distributional_coverage(recommended) -> float:
    """Shannon entropy, in bits, of the share of all recommendations that each item receives.

    log2(number of items) when every item is shown equally often, 0 when one item fills every
    slot (Shani & Gunawardana, *Evaluating Recommendation Systems*, 2011).

    >>> distributional_coverage([[0, 1], [2, 3]])
    2.0
    >>> distributional_coverage([[0, -1], [0, -1]])
    0.0
    """
    counts = _recommendation_counts(recommended)
    shares = counts[counts > 0] / counts.sum()
    return float(-(shares * np.log2(shares)).sum() + 0.0)


def gini_index(recommended, n_items: int) -> float:
    """Gini index of how often each of the ``n_items`` items is recommended.

    G = Σ_j (2j − n − 1) c_(j) / (n Σ_j c_j), counts c sorted ascending, j = 1..n: 0 when all
    items are recommended equally often, (n − 1)/n when a single item takes every slot.

    >>> gini_index([[0, 1], [0, 1]], n_items=2)
    0.0
    >>> gini_index([[0], [0]], n_items=4)
    0.75
    """
    counts = np.sort(np.bincount(_recommendation_counts(recommended, expand=True), minlength=n_items))
    if len(counts) > n_items:
        raise ValueError(f"gini_index: recommended holds item id {len(counts) - 1}, but n_items={n_items}")
    if counts.sum() == 0:
        return 0.0
    j = np.arange(1, n_items + 1)
    return float(((2 * j - n_items - 1) * counts).sum() / (n_items * counts.sum()))


def genre_coverage(recommended, item_genres) -> np.ndarray:
    """Share of the genres that at least one item of each list has.

    ``item_genres`` is an ``(n_items, n_genres)`` array or sparse matrix, non-zero where an item
    has a genre (for instance `rerank.genre_matrix`).
    """
    recommended = np.asarray(recommended)
    genres = _dense_rows(item_genres, np.where(recommended >= 0, recommended, 0)) > 0  # (n, k, G)
    genres &= (recommended >= 0)[:, :, None]
    return genres.any(axis=1).mean(axis=1)


def serendipity(recommended, relevant: sp.csr_matrix, expected) -> np.ndarray:
    """Share of each list that is relevant and not in the user's ``expected`` list.

    Ge et al. (2010): ``serendipity = |relevant ∩ unexpected| / |list|``, with the unexpected items
    those a primitive recommender (usually popularity) would not have shown the same user.
    ``expected`` is that recommender's ``(n_users, m)`` item array, one row per list.
    """
    recommended = _check_recommended(recommended, relevant)
    expected = np.asarray(expected)
    if expected.ndim != 2 or len(expected) != len(recommended):
        raise ValueError(
            f"serendipity: expected must hold one list per user, shape ({len(recommended)}, m); got {expected.shape}"
        )
    unexpected = ~(recommended[:, :, None] == expected[:, None, :]).any(axis=2)
    valid = recommended >= 0
    useful = hits(recommended, relevant) > 0
    return _safe_divide((useful & unexpected & valid).sum(axis=1), valid.sum(axis=1))


def calibration_kl(p, q, alpha: float = 0.01) -> np.ndarray:
    """KL(p‖q̃) = Σ_g p_g log(p_g / q̃_g), q̃ = (1 − α)q + αp, along the last axis (nats).

    Steck's (2018) miscalibration of a list with genre distribution ``q`` for a user whose history
    has genre distribution ``p``; genres with p_g = 0 contribute nothing.

    >>> float(calibration_kl([0.5, 0.5], [0.5, 0.5]))
    0.0
    >>> kl = calibration_kl([1.0, 0.0], [0.0, 1.0], alpha=0.01)
    >>> round(float(kl), 4)  # −log(0.01)
    4.6052
    """
    if not 0 < alpha <= 1:
        raise ValueError(f"calibration_kl: alpha must lie in (0, 1], got {alpha}")
    p = np.asarray(p, dtype=float)
    q_tilde = (1 - alpha) * np.asarray(q, dtype=float) + alpha * p
    terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0) / np.where(p > 0, q_tilde, 1.0)), 0.0)
    return terms.sum(axis=-1)


def miscalibration(recommended, item_genres, user_genres, alpha: float = 0.01) -> np.ndarray:
    """Steck's miscalibration KL(p‖q̃) of each list.

    ``item_genres`` is ``(n_items, n_genres)``, each row an item's genre distribution p(g|i)
    (`rerank.genre_matrix`); ``user_genres`` is ``(n_users, n_genres)``, row u the genre
    distribution p(g|u) of the history of the user who received list u
    (`rerank.genre_profiles`). The list's distribution is q(g|u) = mean of p(g|i) over its items.
    """
    recommended = np.asarray(recommended)
    user_genres = np.asarray(user_genres, dtype=float)
    if user_genres.shape[0] != recommended.shape[0]:
        raise ValueError(
            f"miscalibration: {recommended.shape[0]} lists but {user_genres.shape[0]} rows of user_genres"
        )
    valid = recommended >= 0
    rows = _dense_rows(item_genres, np.where(valid, recommended, 0)) * valid[:, :, None]  # (n, k, G)
    q = rows.sum(axis=1) / np.maximum(valid.sum(axis=1), 1)[:, None]
    return calibration_kl(user_genres, q, alpha)


def _recommendation_counts(recommended, expand: bool = False) -> np.ndarray:
    """How often each item id is recommended (or, with ``expand``, the flat valid ids)."""
    recommended = np.asarray(recommended)
    valid = recommended[recommended >= 0].astype(np.int64)
    return valid if expand else np.bincount(valid)


def _dense_rows(matrix, ids: np.ndarray) -> np.ndarray:
    """Rows ``ids`` (any shape) of a dense or sparse matrix, as a dense array of shape ids.shape + (m,)."""
    taken = matrix[ids.ravel()]
    taken = taken.toarray() if sp.issparse(taken) else np.asarray(taken, dtype=float)
    return taken.reshape(*ids.shape, -1)


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
    users, rel, seen = _test_users(model, train, test, exclude_seen, grade, "evaluate")
    n_items = seen.shape[1]
    recommended, _ = model.recommend(users, k=k, exclude_seen=exclude_seen)
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


def metrics_at_cutoffs(
    model, train: pd.DataFrame, test: pd.DataFrame, max_k: int = 50, exclude_seen: bool = True, grade: str | None = None
) -> pd.DataFrame:
    """Precision, recall, NDCG, MAP, MRR and hit rate at every cut-off k = 1 .. ``max_k``.

    One top-``max_k`` list per user serves every k, since a model's top k is the first k items of
    its top ``max_k``. Row k holds the same means over users as ``evaluate(model, train, test,
    k=k)`` (same users, same exclusion of seen items); columns ``precision``, ``recall``,
    ``ndcg``, ``map``, ``mrr``, ``hit_rate``, index ``k``.

    Examples
    --------
    >>> from recsys_tutorial.data import make_synthetic
    >>> from recsys_tutorial.models import Popularity
    >>> world = make_synthetic(n_users=300, n_items=100, n_interactions=3_000,
    ...                        random_state=0)
    >>> log = world.interactions
    >>> train, test = log.iloc[:2_400], log.iloc[2_400:]
    >>> model = Popularity().fit(train)
    >>> curves = metrics_at_cutoffs(model, train, test, max_k=20)
    >>> curves.shape, bool(curves["recall"].is_monotonic_increasing)
    ((20, 6), True)
    """
    if not isinstance(max_k, (int, np.integer)) or isinstance(max_k, bool) or max_k < 1:
        raise ValueError(f"metrics_at_cutoffs: max_k must be a positive integer, got {max_k!r}")
    users, relevant, _ = _test_users(model, train, test, exclude_seen, grade, "metrics_at_cutoffs")
    recommended, _ = model.recommend(users, k=max_k, exclude_seen=exclude_seen)
    gains = hits(recommended, relevant)  # (n, K)
    hit = gains > 0
    ks = np.arange(1, max_k + 1)
    found = np.cumsum(hit, axis=1)  # (n, K): hits within the first k
    n_relevant = _n_relevant(relevant)[:, None]
    discounts = 1.0 / np.log2(ks + 1)
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), max_k)  # 0-based rank of the first hit
    precision_at_j = found / ks
    curves = {
        "precision": precision_at_j,
        "recall": _safe_divide(found, np.broadcast_to(n_relevant, found.shape)),
        "ndcg": _safe_divide(np.cumsum(gains * discounts, axis=1),
                             np.cumsum(_ideal_gains(relevant, max_k) * discounts, axis=1)),  # fmt: skip
        "map": _safe_divide(np.cumsum(precision_at_j * hit, axis=1), np.minimum(ks, n_relevant)),
        "mrr": np.where(first[:, None] < ks, 1.0 / (first[:, None] + 1), 0.0),
        "hit_rate": (found > 0).astype(float),
    }
    return pd.DataFrame({name: values.mean(axis=0) for name, values in curves.items()}, index=pd.Index(ks, name="k"))


def sampled_evaluate(
    model, train: pd.DataFrame, test: pd.DataFrame, n_negatives: int = 100, k: int = 10, random_state: int | None = 0
) -> pd.Series:
    """Hit rate and NDCG at k when each test item is ranked against ``n_negatives`` sampled items.

    The protocol of many papers, criticised by Krichene & Rendle (KDD 2020): for every (user,
    test item) pair, draw ``n_negatives`` items uniformly from those the user never interacted
    with, and rank the test item among them; ties are broken at random (in expectation). The
    means are over (user, test item) pairs, not over users as in `evaluate`: a user with five
    test items counts five times. One draw of `sampled_comparison`; shown in chapter 6 to
    compare with full ranking.

    Examples
    --------
    >>> from recsys_tutorial.data import make_synthetic
    >>> from recsys_tutorial.models import Popularity
    >>> world = make_synthetic(n_users=300, n_items=100, n_interactions=3_000,
    ...                        random_state=0)
    >>> log = world.interactions
    >>> train, test = log.iloc[:2_400], log.iloc[2_400:]
    >>> model = Popularity().fit(train)
    >>> result = sampled_evaluate(model, train, test, n_negatives=20, k=5)
    >>> list(result.index)
    ['hit_rate@5', 'ndcg@5', 'pairs']
    """
    draw = sampled_comparison({"model": model}, train, test, n_negatives=n_negatives, k=k, n_draws=1,
                              random_state=random_state)  # fmt: skip
    return draw.iloc[0][[f"hit_rate@{k}", f"ndcg@{k}", "pairs"]].astype(float).rename(None)


def sampled_comparison(
    models: dict,
    train: pd.DataFrame,
    test: pd.DataFrame,
    n_negatives: int = 100,
    k: int = 10,
    n_draws: int = 20,
    random_state: int | None = 0,
    show_progress: bool = False,
) -> pd.DataFrame:
    """Sampled hit rate and NDCG at k of several fitted models, over ``n_draws`` draws of negatives.

    The protocol of `sampled_evaluate`, repeated: each draw takes fresh negatives (independent
    streams spawned from ``random_state``), and within a draw every model ranks every (user, test
    item) pair against the *same* negatives, so the models' difference in a draw is paired. How
    often an ordering of two models holds across draws says whether it is a property of the
    protocol or the luck of one sample. Means are over (user, test item) pairs, not users.

    Returns a long frame, one row per (draw, model): ``draw``, ``model``, ``hit_rate@k``,
    ``ndcg@k`` and ``pairs`` (the number of pairs averaged over).

    Examples
    --------
    >>> from recsys_tutorial.data import make_synthetic
    >>> from recsys_tutorial.models import ItemKNN, Popularity
    >>> world = make_synthetic(n_users=300, n_items=100, n_interactions=3_000,
    ...                        random_state=0)
    >>> log = world.interactions
    >>> train, test = log.iloc[:2_400], log.iloc[2_400:]
    >>> models = {"Popularity": Popularity().fit(train),
    ...           "ItemKNN": ItemKNN().fit(train)}
    >>> draws = sampled_comparison(models, train, test, n_negatives=20, k=5,
    ...                            n_draws=3)
    >>> draws.pivot(index="draw", columns="model", values="ndcg@5").shape
    (3, 2)
    """
    if not isinstance(models, dict) or not models:
        raise ValueError("sampled_comparison: models must be a non-empty dict of fitted models, {name: model}")
    for name, value in (("n_negatives", n_negatives), ("k", k), ("n_draws", n_draws)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
            raise ValueError(f"sampled_comparison: {name} must be a positive integer, got {value!r}")
    sizes = {name: getattr(model, "n_items_", None) for name, model in models.items()}
    if None in sizes.values() or len(set(sizes.values())) != 1:
        raise ValueError(f"sampled_comparison: every model must be fitted on the same catalogue; n_items_: {sizes}")
    n_items = next(iter(sizes.values()))
    n_users = int(max(train["user_id"].max(), test["user_id"].max())) + 1
    test = test[test["item_id"] < n_items].drop_duplicates(["user_id", "item_id"])
    seen = interaction_matrix(train, shape=(n_users, n_items))
    test = test[np.asarray(seen[test["user_id"].to_numpy(), test["item_id"].to_numpy()]).ravel() == 0]
    if test.empty:
        raise ValueError("sampled_comparison: no test pair is left once items seen in training are removed")
    # Negatives come from the items a user never touched, in training or test.
    touched = interaction_matrix(pd.concat([train, test]), shape=(n_users, n_items))
    order = np.argsort(test["user_id"].to_numpy(), kind="stable")  # pairs grouped by user
    users, targets = test["user_id"].to_numpy()[order], test["item_id"].to_numpy()[order]
    free = n_items - np.diff(touched.indptr)
    if (free[users] == 0).any():
        user = int(users[np.flatnonzero(free[users] == 0)[0]])
        raise ValueError(
            f"sampled_comparison: could not draw {n_negatives} items that user {user} never interacted with: "
            f"all {n_items} items are theirs; evaluate with full ranking"
        )
    skip_keys = _skip_keys(touched)
    unique_users, first_pair = np.unique(users, return_index=True)
    bounds = np.append(first_pair, len(users))
    seeds = np.random.SeedSequence(random_state).spawn(n_draws)
    rngs = [np.random.default_rng(seed) for seed in seeds]
    hit_sum, gain_sum = np.zeros((len(models), n_draws)), np.zeros((len(models), n_draws))
    chunks = range(0, len(unique_users), _USERS_PER_CHUNK)  # fixed: the draws do not depend on the models
    for start in tqdm(chunks, desc="sampled metrics", disable=not show_progress):
        chunk_users = unique_users[start : start + _USERS_PER_CHUNK]
        pairs = slice(bounds[start], bounds[start + len(chunk_users)])
        row = np.repeat(np.arange(len(chunk_users)), np.diff(bounds[start : start + len(chunk_users) + 1]))  # (m,)
        # Every draw's negatives for the chunk's m pairs, as positions in its (c, n_items) scores.
        flat = np.empty((n_draws, len(row), n_negatives), dtype=np.int64)
        for draw, rng in enumerate(rngs):
            flat[draw] = row[:, None] * n_items + _draw_unseen(rng, users[pairs], n_negatives, n_items, free,
                                                               skip_keys, touched.indptr)  # fmt: skip
        for j, model in enumerate(models.values()):
            s = model.score_items(chunk_users).ravel()  # (c · n_items,)
            target = s[row * n_items + targets[pairs]][:, None]  # (m, 1)
            for draw in range(n_draws):
                negative_scores = s.take(flat[draw])  # (m, n_negatives)
                above = (negative_scores > target).sum(axis=1)
                tied = (negative_scores == target).sum(axis=1)
                hit, gain = _expected_top_k(above, tied, k)
                hit_sum[j, draw] += hit.sum()
                gain_sum[j, draw] += gain.sum()
    n_pairs = len(users)
    rows = [
        {"draw": draw, "model": name,
         f"hit_rate@{k}": hit_sum[j, draw] / n_pairs, f"ndcg@{k}": gain_sum[j, draw] / n_pairs, "pairs": n_pairs}
        for draw in range(n_draws) for j, name in enumerate(models)
    ]  # fmt: skip
    return pd.DataFrame(rows)


#: Users scored at once by `sampled_comparison`. Fixed, so that a draw is the same whatever the models.
_USERS_PER_CHUNK = 1024


def _skip_keys(touched: sp.csr_matrix) -> np.ndarray:
    """Sorted keys ``u · n_items + (t_j − j)`` of each user's touched items t_0 < t_1 < ...

    The r-th item a user never touched (r = 0, 1, ...) is r plus the number of j with
    t_j − j ≤ r: every touched item at or before it pushes it one place along.
    """
    n_items = touched.shape[1]
    counts = np.diff(touched.indptr)
    position = np.arange(touched.nnz) - np.repeat(touched.indptr[:-1], counts)  # j within the row
    rows = np.repeat(np.arange(touched.shape[0]), counts)
    return rows.astype(np.int64) * n_items + (touched.indices - position)


def _draw_unseen(rng, users, n, n_items, free, skip_keys, indptr) -> np.ndarray:
    """``n`` items per entry of ``users``, uniform (with replacement) over the items that user never touched."""
    r = rng.integers(0, free[users][:, None], size=(len(users), n))  # (m, n): rank among untouched items
    keys = users[:, None].astype(np.int64) * n_items + r
    return r + (np.searchsorted(skip_keys, keys, side="right") - indptr[users][:, None])


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


def paired_table(per_user: dict, pairs) -> pd.DataFrame:
    """`paired_test` for several pairs of models: one row ``"A − B"`` per ``(A, B)`` in ``pairs``.

    ``per_user`` maps a model's name to its per-user values of one metric (as `leaderboard`
    returns them). Columns: mean difference, bootstrap 95 % interval, p-value.
    """
    rows = {}
    for a, b in pairs:
        missing = [name for name in (a, b) if name not in per_user]
        if missing:
            raise ValueError(f"paired_table: no per-user values for {missing}; known: {sorted(per_user)}")
        rows[f"{a} − {b}"] = paired_test(per_user[a], per_user[b])
    return pd.DataFrame(rows).T[["mean difference", "ci low", "ci high", "p-value"]]


def leaderboard(models: dict, train: pd.DataFrame, test: pd.DataFrame, k: int = 10, fit_kwargs: dict | None = None,
                show_progress: bool = False) -> tuple[pd.DataFrame, dict, pd.Series]:
    """Fit each model that is not fitted yet on ``train``, and score every one on ``test``.

    Parameters
    ----------
    models : dict of str to Recommender
        Models by display name; a model that was already fitted is scored as it is.
    train, test : DataFrame
        Interactions, as for `evaluate`.
    k : int
        The cutoff.
    fit_kwargs : dict of str to dict, optional
        Extra arguments of ``fit`` by model name (e.g. side features for ``TwoTower``).
    show_progress : bool
        A progress bar over the models.

    Returns
    -------
    board : DataFrame
        One row per model: mean NDCG@k with its 95 % interval (``low``, ``high``) and recall@k.
    per_user : dict of str to Series
        Each model's per-user NDCG@k, for paired comparisons (`paired_table`).
    fit_seconds : Series
        Wall-clock seconds of each fit made here (NaN for models passed in fitted). Varies from
        machine to machine and run to run: report it, never assert on it.
    """
    rows, per_user, fit_seconds = {}, {}, {}
    for name, model in tqdm(models.items(), desc="leaderboard", disable=not show_progress):
        fit_seconds[name] = np.nan
        if not _is_fitted(model):
            start = time.perf_counter()
            model.fit(train, **(fit_kwargs or {}).get(name, {}))
            fit_seconds[name] = time.perf_counter() - start
        scores = evaluate(model, train, test, k=k, per_user=True)
        per_user[name] = scores[f"ndcg@{k}"]
        mean, low, high = confidence_interval(per_user[name])
        rows[name] = {f"ndcg@{k}": mean, "low": low, "high": high, f"recall@{k}": scores[f"recall@{k}"].mean()}
    return pd.DataFrame(rows).T, per_user, pd.Series(fit_seconds, name="fit seconds")


# ---------------------------------------------------------------------------------------------


def held_out_users(test: pd.DataFrame, n_users: int, n_items: int, seen_in: pd.DataFrame | None = None,
                   grade: str | None = None) -> tuple[np.ndarray, sp.csr_matrix]:
    """The users an offline test can score, and their rows of `relevance_matrix`.

    A user counts when at least one test item is relevant (new to them, with ``seen_in``); the
    rows come in the users' order, ready for the metrics of this module.

    >>> test = pd.DataFrame({"user_id": [0, 0, 2], "item_id": [1, 2, 0]})
    >>> users, relevant = held_out_users(test, n_users=3, n_items=3,
    ...                                  seen_in=test.iloc[[2]])
    >>> users.tolist(), relevant.toarray().tolist()
    ([0], [[0.0, 1.0, 1.0]])
    """
    relevant = relevance_matrix(test, n_users, n_items, grade=grade, seen_in=seen_in)
    users = np.flatnonzero(np.diff(relevant.indptr) > 0)
    return users, relevant[users]


def _test_users(model, train, test, exclude_seen, grade, caller) -> tuple[np.ndarray, sp.csr_matrix, sp.csr_matrix]:
    """The evaluated users (those with a relevant item), their relevance rows, and the training matrix."""
    n_users = int(max(train["user_id"].max(), test["user_id"].max())) + 1
    n_items = int(max(train["item_id"].max(), test["item_id"].max(), getattr(model, "n_items_", 0) - 1)) + 1
    users, relevant = held_out_users(test, n_users, n_items, seen_in=train if exclude_seen else None, grade=grade)
    if len(users) == 0:
        raise ValueError(f"{caller}: no test user has a relevant item (after removing items seen in training)")
    return users, relevant, interaction_matrix(train, shape=(n_users, n_items))


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
            f"recommended has {recommended.shape[0]} rows but relevant has {relevant.shape[0]}: "
            "one row per user in both"
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
    return _ideal_gains(relevant, k) @ discounts


def _ideal_gains(relevant: sp.csr_matrix, k: int) -> np.ndarray:
    """The gains of each user's best list of length k: ``(n_users, k)``, relevance sorted descending."""
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
    return ideal


def _safe_divide(numerator, denominator) -> np.ndarray:
    numerator = np.asarray(numerator, dtype=float)
    denominator = np.asarray(denominator, dtype=float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def _is_fitted(model) -> bool:
    """Whether ``model`` is fitted already, by scikit-learn's fitted check."""
    try:
        check_is_fitted(model)
    except NotFittedError:
        return False
    return True
